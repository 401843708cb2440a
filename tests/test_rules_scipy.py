"""Rules of SciPy's functions (scipy.special, scipy.stats), checked against finite
differences and forward against reverse; second order through them; and SciPy staying
optional: srcad never imports it, and SciPy's own Python code is refused, not transformed.

SciPy is part of the test extra (pip install srcad[test]): these tests import it and fail
without it, rather than be skipped.
"""
import subprocess
import sys

import numpy as np
import pytest
import scipy.special as special
import scipy.stats as stats

import srcad
from gradcheck import numerical_gradient
from rule_harness import CHECKS, case, check_by_kind, normal, uniform
from srcad.rules.registry import adjoint_of
from srcad.runtime import special as helpers

adjoint_of(special.erf)  # the registry imports the rules of scipy.special and scipy.stats now

SHAPES = [None, (), (4,), (2, 3)]
UNARY = [
    (special.expit, normal), (special.logit, lambda s: uniform(0.1, 0.9, s)), (special.erf, normal),
    (special.erfc, normal), (special.erfinv, lambda s: uniform(-0.9, 0.9, s)),
    (special.gammaln, lambda s: uniform(0.3, 4.0, s)), (special.digamma, lambda s: uniform(0.3, 4.0, s)),
    (special.ndtr, normal), (special.log_ndtr, normal),
]
CASES = [case(f, draw(shape)) for f, draw in UNARY for shape in SHAPES]
CASES += [
    case(special.log_ndtr, np.array([-30.0, -8.0, 0.5])),  # far in the left tail, where cdf underflows
    case(special.polygamma, 1, uniform(0.5, 3.0, (3,)), wrt=[1]),
    case(special.polygamma, 2, uniform(0.5, 3.0, None), wrt=[1]),
]
for a, b in [((4,), (4,)), ((3, 1), (4,)), (None, (2, 3)), ((2, 3), ())]:
    CASES += [case(special.xlogy, normal(a), uniform(0.2, 2.0, b)),
              case(special.xlog1py, normal(a), uniform(-0.5, 2.0, b))]
for shape, kw in [((5,), {}), ((3, 4), {}), ((3, 4), {"axis": 0}), ((3, 4), {"axis": -1, "keepdims": True}),
                  ((2, 3, 4), {"axis": (0, 2)})]:
    CASES += [case(special.logsumexp, normal(shape), **kw), case(special.softmax, normal(shape), **kw)
              if "keepdims" not in kw else case(special.softmax, normal(shape), axis=kw["axis"]),
              case(special.log_softmax, normal(shape), axis=kw.get("axis"))]
CASES += [
    case(special.logsumexp, normal((3, 4)), b=uniform(0.5, 2.0, (3, 4)), wrt=[0, "b"]),
    case(special.logsumexp, normal((3, 4)), 1, uniform(0.5, 2.0, (4,)), wrt=[0, 2]),
    case(special.logsumexp, normal((3, 4)), axis=0, b=uniform(0.5, 2.0, (3, 1)), keepdims=True, wrt=[0, "b"]),
]
# the normal distribution, with loc and scale as numbers or arrays that broadcast
for op in (stats.norm.logpdf, stats.norm.pdf, stats.norm.cdf, stats.norm.logcdf):
    CASES += [
        case(op, normal((4,))),
        case(op, normal((2, 3)), normal((3,)), uniform(0.5, 2.0, (2, 1))),
        case(op, normal(None), loc=normal(None), scale=uniform(0.5, 2.0), wrt=[0, "loc", "scale"]),
        case(op, normal((3,)), 0.5, uniform(0.5, 2.0, (3,))),
    ]


def positive_definite(n, junk=True):
    b = normal((n, n))
    spd = b @ b.T + n * np.eye(n)
    return np.tril(spd) + np.triu(normal((n, n)), 1) if junk else spd  # SciPy reads the lower triangle


MVN = stats.multivariate_normal.logpdf
CASES += [
    case(MVN, normal((3,)), normal((3,)), positive_definite(3)),
    case(MVN, normal((5, 3)), normal((3,)), positive_definite(3)),
    case(MVN, normal((5, 2)), mean=normal((2,)), cov=positive_definite(2, junk=False), wrt=[0, "mean", "cov"]),
    case(MVN, normal((4, 3)), normal((3,)), uniform(0.5, 2.0, (3,))),
    case(MVN, normal((4, 3)), None, positive_definite(3), wrt=[0, 2]),
    case(MVN, normal((4, 2)), normal((2,)), uniform(0.5, 2.0), wrt=[0, 1, 2]),
    case(MVN, normal((1, 3)), normal((3,)), positive_definite(3)),
]
# the helpers these rules call
CASES += [
    case(helpers.weighted, normal((3,)), normal((3,))), case(helpers.weighted, normal((2, 3)), wrt=[0]),
    case(helpers.without_sign, normal((3,)), wrt=[0]),
    case(helpers.centred, normal((4, 3)), normal((3,))), case(helpers.centred, normal((3,)), wrt=[0]),
    case(helpers.covariance_matrix, normal((3, 3)), 3, wrt=[0]),
    case(helpers.covariance_matrix, normal((3,)), 3, wrt=[0]),
    case(helpers.covariance_matrix, normal(None), 3, wrt=[0]),
    case(helpers.uncovariance_matrix, normal((3, 3)), np.zeros((3, 3)), wrt=[0]),
    case(helpers.uncovariance_matrix, normal((3, 3)), np.zeros(3), wrt=[0]),
    case(helpers.uncovariance_matrix, normal((3, 3)), 1.0, wrt=[0]),
    case(helpers.as_rows, normal((3,))), case(helpers.as_rows, normal((4, 3))),
]


@pytest.mark.parametrize("kind", sorted(CHECKS))
@pytest.mark.parametrize("op, args, kwargs, wrt", CASES)
def test_rule_against_finite_differences_and_its_twin(kind, op, args, kwargs, wrt):
    check_by_kind(kind, op, args, kwargs, wrt)


# ----------------------------------------------------- as users write them, to second order
MEAN, COV = normal((3,)), positive_definite(3, junk=False)


def _special(x):
    return special.logsumexp(x * x) + np.sum(special.expit(x) * special.erf(x)) + np.sum(special.gammaln(x * x + 1.0))


def _softmaxes(x):
    return np.sum(special.softmax(np.outer(x, x), axis=0) * np.arange(9.0).reshape(3, 3)) \
        + np.sum(special.log_softmax(x) ** 2)


def _normal(x):
    return np.sum(stats.norm.logpdf(x, loc=x[0], scale=np.exp(x[1]))) + np.sum(stats.norm.logcdf(x, 0.5, 2.0))


def _multivariate(x):
    cov = COV + np.outer(x, x)
    return np.sum(stats.multivariate_normal.logpdf(np.stack([x, 2.0 * x]), mean=MEAN, cov=cov))


def _xlogy(x):
    return np.sum(special.xlogy(x, x * x + 1.0) + special.xlog1py(x * x, np.exp(x)) + special.log_ndtr(x))


USES = [_special, _softmaxes, _normal, _multivariate, _xlogy]
X = np.array([0.37, -0.81, 1.23])


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
@pytest.mark.parametrize("f", USES, ids=lambda f: f.__name__[1:])
def test_gradient_matches_finite_differences_and_jvp(f, optimize):
    grad = srcad.grad(f, optimize=optimize)(X)
    np.testing.assert_allclose(grad, numerical_gradient(f, [X], 0), rtol=1e-6, atol=1e-8)
    v = np.array([0.3, -0.7, 0.4])
    _, forward = srcad.jvp(f)(X, v)
    assert forward == pytest.approx(np.sum(grad * v), rel=1e-10)


@pytest.mark.parametrize("f", USES, ids=lambda f: f.__name__[1:])
def test_second_order_matches_differences_of_the_gradient(f):
    v = np.array([0.3, -0.7, 0.4])
    df = srcad.grad(f)
    expected = (df(X + 1e-5 * v) - df(X - 1e-5 * v)) / 2e-5
    np.testing.assert_allclose(srcad.hvp(f)(X, v), expected, rtol=1e-5, atol=1e-7)

    def slope(x):
        return np.sum(df(x) * v)

    np.testing.assert_allclose(srcad.grad(slope)(X), expected, rtol=1e-5, atol=1e-7)


# ------------------------------------------------------------------ SciPy stays optional

def _zscore_cubed(x):
    return np.sum(stats.zscore(x) ** 3)


def test_scipys_own_python_code_is_refused_naming_the_function():
    for transform, args in [(srcad.grad, (X,)), (srcad.jvp, (X, X))]:
        with pytest.raises(srcad.NonDifferentiableError, match=r"(?s)stats\.zscore( in forward mode)?: it is code of the installed "
                                                               r"package scipy .*test_rules_scipy\.py"):
            transform(_zscore_cubed)(*args)


def _returns_the_sign(x):
    value, sign = special.logsumexp(x, return_sign=True)
    return value


def test_logsumexp_with_its_sign_is_refused():
    with pytest.raises(srcad.NonDifferentiableError, match="return_sign=False"):
        srcad.grad(_returns_the_sign)(X)


def test_a_function_of_an_installed_package_is_pointed_to_srcad_nn():
    from srcad.compiler.resolve import not_transformed_because

    def logsumexp(x):  # a function of this name in an installed package
        return x
    logsumexp.__module__ = "somepackage.special"
    assert not_transformed_because(logsumexp) is None  # this file is not in site-packages
    assert "srcad.nn.logsumexp" in not_transformed_because(special.logsumexp.__wrapped__ if hasattr(
        special.logsumexp, "__wrapped__") else special.logsumexp)


def test_srcad_does_not_import_scipy():
    code = "import sys, srcad, numpy as np; srcad.grad(lambda x: x)(1.0) if False else None; " \
           "assert 'scipy' not in sys.modules, 'srcad imported scipy'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_srcad_works_where_scipy_is_not_installed():
    code = ("import sys; sys.modules['scipy'] = None\n"
            "import numpy as np, srcad\n"
            "def f(x):\n    return np.sum(np.sin(x) ** 2)\n"
            "import linecache; linecache.cache['<f>'] = (0, None, ['def f(x):\\n', '    return np.sum(np.sin(x) ** 2)\\n'], '<f>')\n"
            "f.__code__ = compile('def f(x):\\n    return np.sum(np.sin(x) ** 2)\\n', '<f>', 'exec').co_consts[0]\n"
            "print(srcad.grad(f)(np.array([0.5, 1.0])))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
