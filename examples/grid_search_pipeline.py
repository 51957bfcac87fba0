"""
Grid search over the dropout settings of a pipeline
===================================================

Scale the features and train a dropout network in one
:class:`~sklearn.pipeline.Pipeline`, then let
:class:`~sklearn.model_selection.GridSearchCV` pick the hidden-unit dropout
rate, the input dropout and the max-norm radius by cross-validation on the
breast cancer data bundled with scikit-learn. The network's parameters are
reached through the step's name: ``mlp__dropout_rate`` and so on.
"""

# %%
import warnings

from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifier

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

pipe = Pipeline(
    [
        ("scale", StandardScaler()),
        (
            "mlp",
            DropoutMLPClassifier(
                hidden_layer_sizes=(64,),
                max_iter=50,
                learning_rate_init=0.01,
                random_state=0,
            ),
        ),
    ]
)

# %%
# Twelve combinations, each fitted on five folds. ``n_jobs=-1`` spreads the
# fits over every core with joblib; the same code runs on a Dask cluster
# inside ``with joblib.parallel_backend("dask"):`` (see the tuning guide).
param_grid = {
    "mlp__dropout_rate": [0.0, 0.25, 0.5],
    "mlp__input_dropout": [0.0, 0.2],
    "mlp__max_norm": [None, 3.0],
}
search = GridSearchCV(pipe, param_grid, cv=5, n_jobs=-1)
with warnings.catch_warnings():
    # 50 epochs is short on purpose: the example should run in seconds.
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)

# %%
# The best combination, its cross-validated accuracy, and the accuracy of
# the pipeline refitted with it on the whole training set, on the test set.
print("best parameters:")
for name, value in search.best_params_.items():
    print(f"  {name} = {value}")
print(f"cross-validated accuracy: {search.best_score_:.4f}")
print(f"test accuracy:            {search.score(X_test, y_test):.4f}")

# %%
# The five best combinations. Close scores are common on a small dataset,
# where the fold-to-fold spread (std) is as large as the gaps. Where
# ``max_norm=3.0`` scores exactly like ``None``, no unit's weights grew past
# the radius in 50 epochs, so the constraint never acted.
results = search.cv_results_
order = results["rank_test_score"].argsort()[:5]
print(
    f"\n{'rank':>4} {'dropout':>7} {'input':>5} {'max_norm':>8} {'mean':>6} {'std':>6}"
)
for i in order:
    params = results["params"][i]
    print(
        f"{results['rank_test_score'][i]:>4} {params['mlp__dropout_rate']:>7} "
        f"{params['mlp__input_dropout']:>5} {params['mlp__max_norm']!s:>8} "
        f"{results['mean_test_score'][i]:>6.4f} {results['std_test_score'][i]:>6.4f}"
    )
