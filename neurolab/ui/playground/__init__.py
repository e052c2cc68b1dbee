"""Playground mode: build one network by hand, train it with the engine's trainer and watch its
boundary and loss live; an activation gallery; "Evolve from here" seeds a GA run with it."""
