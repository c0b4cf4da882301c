# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""The C API's enumerations as :class:`enum.IntEnum` classes.

Values are those of include/cpae.h (fixed forever; new ones are only
appended). Wherever the package takes an enum it also accepts the plain
int and the member's name as a case-insensitive string, so
``Activation.LEAKY_RELU``, ``2``, ``"leaky_relu"`` and ``"leaky-relu"`` are
the same argument.
"""

import enum
import numbers

__all__ = [
    "Status", "Activation", "Stack", "LieParam", "Method", "LossTerm", "Param",
    "Optimizer", "LieSampler", "LieForm", "ReportKey", "Format", "Norm", "Init",
    "SelectionOption", "to_enum",
]


class Status(enum.IntEnum):
    """cpae_status: the result of every call that can fail."""
    OK = 0
    E_NULL = 1
    E_INVALID = 2
    E_SIZE = 3
    E_BUFFER_TOO_SMALL = 4
    E_NONFINITE = 5
    E_NOMEM = 6
    E_IO = 7
    E_FORMAT = 8
    E_VERSION = 9
    E_NUMERIC = 10
    E_MISMATCH = 11
    E_LIMIT = 12
    E_CALLBACK = 13
    E_INTERNAL = 14
    E_CANCELLED = 15
    E_DIVERGED = 16
    E_REMOTE = 17


class Activation(enum.IntEnum):
    """cpae_activation. Identity units carry no code bit."""
    IDENTITY = 0
    RELU = 1
    LEAKY_RELU = 2
    ABS = 3


class Stack(enum.IntEnum):
    """cpae_stack: which map a code, map or geometry query is about."""
    ENCODER = 0      #: E: R^d -> R^h, points are inputs x
    DECODER = 1      #: D: R^h -> R^d, points are latent z
    AUTOENCODER = 2  #: D o E: R^d -> R^d, points are inputs x


class LieParam(enum.IntEnum):
    """cpae_lie_param: the kind (parametrisation) of Lie generators."""
    GENERAL = 0  #: any d x d matrix, learned
    SKEW = 1     #: skew-symmetric, learned
    FIXED = 2    #: user-supplied, not learned (only theta is)


class Method(enum.IntEnum):
    """cpae_method: training objectives (each sets default loss weights)."""
    AE = 0
    DENOISING = 1
    CONTRACTIVE = 2
    HOC = 3
    LIE_LOCAL = 4
    LIE_EXACT = 5


class LossTerm(enum.IntEnum):
    """cpae_loss_term: loss terms, in the order training calls report them."""
    RECONSTRUCTION = 0
    CONTRACTIVE = 1
    HIGHER_ORDER = 2
    LIE_LOCAL = 3
    LIE_EXACT = 4
    TOTAL = 5


class Param(enum.IntEnum):
    """cpae_param: trainer hyperparameter keys (Trainer keyword names are the
    lower-case member names: ``learning_rate``, ``batch_size``, ...)."""
    OPTIMIZER = 1
    LEARNING_RATE = 2
    MOMENTUM = 3
    ADAM_BETA1 = 4
    ADAM_BETA2 = 5
    ADAM_EPS = 6
    WEIGHT_DECAY = 7
    BATCH_SIZE = 8
    EPOCHS = 9
    SEED = 10
    PATIENCE = 11
    GENERATOR_LR = 12
    STEPS = 13
    VALIDATE_EVERY = 14
    DIVERGENCE_FACTOR = 15
    PRECISION = 16
    W_RECONSTRUCTION = 20
    NOISE_SIGMA = 21
    NOISE_MASK = 22
    W_CONTRACTIVE = 23
    W_HIGHER_ORDER = 24
    HOC_SIGMA = 25
    HOC_COPIES = 26
    W_LIE_LOCAL = 30
    LIE_SAMPLER = 31
    LIE_NEIGHBOURS = 32
    LIE_DELTA = 33
    LIE_FACET_EPS = 34
    LIE_FORM = 35
    W_LIE_EXACT = 40
    LIE_THETA_MAX = 41
    LIE_THETA_GRID = 42
    LIE_REANCHOR = 43
    LIE_ANCHOR = 44


class Optimizer(enum.IntEnum):
    """cpae_optimizer: values of Param.OPTIMIZER."""
    SGD = 0
    ADAM = 1


class LieSampler(enum.IntEnum):
    """cpae_lie_sampler: where the local Lie form's neighbours come from."""
    DATA = 0
    BALL = 1
    FACET = 2


class LieForm(enum.IntEnum):
    """cpae_lie_form: plain or tangent-space Lie residual."""
    PLAIN = 0
    TANGENT = 1


class ReportKey(enum.IntEnum):
    """cpae_report_key: quantities of the generalization report."""
    N_SAMPLES = 0
    DECODER_REGIONS = 1
    INPUT_REGIONS = 2
    DISTANCE_MIN = 3
    DISTANCE_MEDIAN = 4
    DISTANCE_MAX = 5
    DISTANCE_SUM = 6
    INPUT_DISTANCE_MIN = 7
    INPUT_DISTANCE_MEDIAN = 8
    INPUT_DISTANCE_MAX = 9
    INPUT_DISTANCE_SUM = 10
    N_PAIRS = 11
    LIE_RESIDUAL = 12
    LIE_RESIDUAL_FRACTION = 13
    ALIGNMENT = 14
    ALIGNMENT_WITHOUT_G = 15


class Format(enum.IntEnum):
    """cpae_format: data file formats."""
    AUTO = 0
    UCR = 1
    CSV = 2
    CSV_HEADER = 3
    IDX = 4


class Norm(enum.IntEnum):
    """cpae_norm: normalisations."""
    NONE = 0
    SERIES_Z = 1
    FEATURE_Z = 2
    MINMAX = 3


class Init(enum.IntEnum):
    """cpae_init: initialisation of the selection's candidates."""
    RANDOM = 0
    PCA = 1


class SelectionOption(enum.IntEnum):
    """cpae_selection_option: options of the selection protocol."""
    VALID_FRACTION = 1
    SEED = 2
    INIT = 3
    INIT_MARGIN = 4
    REFIT = 5
    GENERATORS = 6
    GENERATOR_KIND = 7
    HIDDEN_ACTIVATION = 8


_ALIASES = {
    Stack: {"AE": Stack.AUTOENCODER, "ENC": Stack.ENCODER, "DEC": Stack.DECODER},
    Activation: {"LEAKY": Activation.LEAKY_RELU, "LINEAR": Activation.IDENTITY,
                 "NONE": Activation.IDENTITY},
}


def to_enum(cls, value, what=None):
    """Convert value (a member, an int or a name string) to a member of cls.

    An int that is no member is returned as a plain int, so the library
    refuses it (InvalidError) as it refuses any out-of-range value; an
    unknown name raises ValueError naming the accepted ones.
    """
    if isinstance(value, cls):
        return value
    if isinstance(value, str):
        key = value.strip().upper().replace("-", "_").replace(" ", "_")
        if key in cls.__members__:
            return cls[key]
        alias = _ALIASES.get(cls, {}).get(key)
        if alias is not None:
            return alias
    elif isinstance(value, numbers.Integral) and not isinstance(value, bool):
        try:
            return cls(int(value))
        except ValueError:
            return int(value)  # the library refuses it, with its own message
    names = ", ".join(m.name.lower() for m in cls)
    raise ValueError("%s: %r is not one of %s" % (what or cls.__name__, value, names))
