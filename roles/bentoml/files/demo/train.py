"""Train the demo iris classifier and save it to the BentoML store (BENTOML_HOME) under the
tag given as argument, unless the store holds that tag already. Deterministic: the same
data and solver give the same model on every host."""

import sys

import bentoml
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression


def main(tag):
    try:
        bentoml.models.get(tag)
        print(f"{tag} is in the store already")
        return
    except bentoml.exceptions.NotFound:
        pass
    iris = load_iris()  # shipped with scikit-learn: nothing is downloaded
    model = LogisticRegression(max_iter=1000).fit(iris.data, iris.target)
    saved = bentoml.sklearn.save_model(tag, model, metadata={
        "classes": [str(name) for name in iris.target_names],
        "training_accuracy": round(float(model.score(iris.data, iris.target)), 4)})
    print(f"saved {saved.tag}")


if __name__ == "__main__":
    main(sys.argv[1])
