"""Views that explain what evolved: the candidate inspector, the family tree, the Pareto front,
Optuna's views and run comparison, gathered in the window's "Insight" dock."""
