"""Pre-processing fitted on training data: PCA, a conv autoencoder, scalers, pipelines.

Every step has a NumPy ``transform`` and a differentiable float64 ``torch_transform``
that agree to 1e-12, and saves to a JSON-able config plus plain arrays (no pickle).

Example:
    >>> import numpy as np
    >>> from qmlsec.data.preprocess import make_pipeline
    >>> X = np.random.default_rng(0).normal(size=(20, 6))
    >>> make_pipeline(n_components=4).fit(X).n_features_out
    4
"""

from qmlsec.data.preprocess.autoencoder import ConvAutoencoder
from qmlsec.data.preprocess.config import PreprocessingConfig
from qmlsec.data.preprocess.factory import make_config, make_pipeline
from qmlsec.data.preprocess.maxabs import MaxAbsScaler
from qmlsec.data.preprocess.minmax import MinMaxScaler
from qmlsec.data.preprocess.pca import PCA
from qmlsec.data.preprocess.pipeline import STEP_TYPES, PreprocessingPipeline
from qmlsec.data.preprocess.standard import StandardScaler
from qmlsec.data.preprocess.step import Step

__all__ = [
    "PCA",
    "STEP_TYPES",
    "ConvAutoencoder",
    "MaxAbsScaler",
    "MinMaxScaler",
    "PreprocessingConfig",
    "PreprocessingPipeline",
    "StandardScaler",
    "Step",
    "make_config",
    "make_pipeline",
]
