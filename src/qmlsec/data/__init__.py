"""Data layer: datasets (built-in and user files), splits and pre-processing.

Example:
    >>> from qmlsec.data import load_dataset, make_pipeline, split
    >>> train, test = split(load_dataset("digits", classes="0-3"), test_size=0.25, seed=0)
    >>> pipe = make_pipeline(reduction="pca", n_components=4).fit(train.X)
    >>> pipe.transform(test.X).shape[1]
    4
"""

from qmlsec.data.builtin import BUILTIN_DATASETS
from qmlsec.data.classes import encode_labels, parse_classes, select_classes
from qmlsec.data.csv_file import load_csv
from qmlsec.data.dataset import Dataset
from qmlsec.data.datasets import available_datasets, load_dataset
from qmlsec.data.npz_file import load_npz
from qmlsec.data.preprocess import (
    PCA,
    ConvAutoencoder,
    MaxAbsScaler,
    MinMaxScaler,
    PreprocessingConfig,
    PreprocessingPipeline,
    StandardScaler,
    Step,
    make_config,
    make_pipeline,
)
from qmlsec.data.split import split
from qmlsec.data.validation import check_class_counts

__all__ = [
    "BUILTIN_DATASETS",
    "PCA",
    "ConvAutoencoder",
    "Dataset",
    "MaxAbsScaler",
    "MinMaxScaler",
    "PreprocessingConfig",
    "PreprocessingPipeline",
    "StandardScaler",
    "Step",
    "available_datasets",
    "check_class_counts",
    "encode_labels",
    "load_csv",
    "load_dataset",
    "load_npz",
    "make_config",
    "make_pipeline",
    "parse_classes",
    "select_classes",
    "split",
]
