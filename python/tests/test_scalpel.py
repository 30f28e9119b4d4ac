"""Tests of the scalpel package: graphs run through libscalpelc against NumPy, on both backends."""

import sys
from pathlib import Path

import numpy as np
import pytest

import scalpel

BACKENDS = ["jit", "interpreter"]

# The example of ARCHITECTURE.md: a linear layer, ReLU and a mean squared error (loss).
MLP = (Path(__file__).resolve().parents[2] / "examples" / "architecture.ir").read_text()

rng = np.random.default_rng(7)


def mlp_inputs():
    return {
        "x": rng.standard_normal((4, 3)).astype(np.float32),
        "w": rng.standard_normal((3, 2)).astype(np.float32),
        "y": rng.standard_normal((4, 2)).astype(np.float32),
    }


def test_the_installed_package_and_library_are_used():
    assert Path(scalpel.__file__).resolve().is_relative_to(Path(sys.prefix).resolve())
    assert scalpel.library_version() == scalpel.__version__
    assert scalpel.library_path().name == "libscalpelc.so"


def test_print_parses_back_to_the_same_text():
    graph = scalpel.Graph.parse(MLP)
    text = str(graph)
    # The printer writes every parameter's role (floats default to weights, `input` marks data).
    assert text.startswith(
        "graph @mlp(%x: f32[4,3] input, %w: f32[3,2] weight, %y: f32[4,2] input) -> (loss: f32[])")
    assert str(scalpel.Graph.parse(text)) == text


@pytest.mark.parametrize("backend", BACKENDS)
def test_mlp_loss_and_gradient_match_numpy(backend):
    graph = scalpel.Graph.parse(MLP)
    step = graph.apply("grad{of=loss wrt=w},cse,dce").compile(backend=backend, threads=1)
    assert [(s.name, s.dtype, s.shape) for s in step.inputs] == [
        ("x", np.float32, (4, 3)), ("w", np.float32, (3, 2)), ("y", np.float32, (4, 2))]
    assert [s.name for s in step.outputs] == ["loss", "grad_w"]
    inputs = mlp_inputs()
    out = step(**inputs)

    x, w, y = (inputs[k].astype(np.float64) for k in "xwy")
    h = x @ w
    d = np.maximum(h, 0) - y
    loss = np.mean(d * d)
    grad_w = x.T @ (2 * d * (h > 0) / d.size)
    assert out["loss"].shape == () and out["loss"].dtype == np.float32
    np.testing.assert_allclose(out["loss"], loss, rtol=1e-5)
    np.testing.assert_allclose(out["grad_w"], grad_w, rtol=1e-5, atol=1e-6)
    # The input graph is unchanged by apply.
    assert str(graph) == str(scalpel.Graph.parse(MLP))


@pytest.mark.parametrize("backend", BACKENDS)
def test_softmax_reductions_and_transposed_matmul_match_numpy(backend):
    graph = scalpel.Graph.parse("""
graph @g(%a: f64[3,5], %b: f64[4,5]) -> (p: f64[3,5], m: f64[3], c: f64[3,4]) {
  %p = softmax %a {axis = 1} : f64[3,5]
  %m = reduce_max %a {axes = [1]} : f64[3]
  %c = matmul %a, %b {transpose_b = true} : f64[3,4]
  return %p, %m, %c
}
""")
    a, b = rng.standard_normal((3, 5)), rng.standard_normal((4, 5))
    out = graph.compile(backend=backend)(a=a, b=b)
    e = np.exp(a - a.max(axis=1, keepdims=True))
    np.testing.assert_allclose(out["p"], e / e.sum(axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(out["m"], a.max(axis=1), rtol=0)
    np.testing.assert_allclose(out["c"], a @ b.T, rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradient_of_a_tanh_chain_matches_finite_differences(backend):
    graph = scalpel.Graph.parse("""
graph @t(%v: f64[6], %u: f64[6]) -> (loss: f64[]) {
  %t = tanh %v : f64[6]
  %p = mul %t, %u : f64[6]
  %l = reduce_sum %p {axes = [0]} : f64[]
  return %l
}
""")
    run = graph.apply("grad{of=loss wrt=v,u}").compile(backend=backend)
    v, u = rng.standard_normal(6), rng.standard_normal(6)
    out = run(v=v, u=u)
    np.testing.assert_allclose(out["grad_v"], u * (1 - np.tanh(v) ** 2), rtol=1e-10)
    np.testing.assert_allclose(out["grad_u"], np.tanh(v), rtol=1e-12)
    step = 1e-6 * np.eye(6)
    numeric = [(run(v=v + s, u=u)["loss"] - run(v=v - s, u=u)["loss"]) / 2e-6 for s in step]
    np.testing.assert_allclose(out["grad_v"], numeric, rtol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_integers_and_booleans(backend):
    graph = scalpel.Graph.parse("""
graph @ints(%a: i32[4], %b: i32[4]) -> (q: i32[4], gt: i1[4]) {
  %q = div %a, %b : i32[4]
  %gt = greater %a, %b : i1[4]
  return %q, %gt
}
""")
    run = graph.compile(backend=backend)
    out = run(a=[7, -9, 4, 0], b=np.array([2, 3, 5, 1], dtype=np.int64))
    assert out["q"].dtype == np.int32 and out["gt"].dtype == np.bool_
    assert out["q"].tolist() == [3, -3, 0, 0]  # C division truncates toward zero
    assert out["gt"].tolist() == [True, False, False, False]
    with pytest.raises(scalpel.ScalpelError, match="integer division by zero") as error:
        run(a=[1, 2, 3, 4], b=[1, 0, 1, 1])
    assert error.value.status == 6
    with pytest.raises(scalpel.ScalpelError, match="float64 array cannot be converted to i32"):
        run(a=[1.5, 2, 3, 4], b=[1, 1, 1, 1])


def test_errors_carry_the_diagnostic():
    with pytest.raises(scalpel.ScalpelError, match=r"<input>:4:8: error: .frobnicate.: unknown op") as error:
        scalpel.Graph.parse(MLP.replace("%a = relu", "%a = frobnicate"))
    assert error.value.status == 2
    graph = scalpel.Graph.parse(MLP)
    with pytest.raises(scalpel.ScalpelError, match="unknown pass 'frobnicate'") as error:
        graph.apply("cse,frobnicate")
    assert error.value.status == 4
    with pytest.raises(scalpel.ScalpelError, match="unknown backend 'gpu'"):
        graph.compile(backend="gpu")
    run = graph.compile(backend="interpreter")
    inputs = mlp_inputs()
    with pytest.raises(scalpel.ScalpelError, match="y") as error:
        run(x=inputs["x"], w=inputs["w"])
    assert error.value.status == 6
    with pytest.raises(scalpel.ScalpelError, match=r"f32\[3,2\]"):
        run(x=inputs["x"], w=inputs["x"], y=inputs["y"])
    with pytest.raises(scalpel.ScalpelError, match="'z'"):
        run(z=inputs["x"], **inputs)


def test_the_library_path_comes_from_the_environment_first(monkeypatch, tmp_path):
    monkeypatch.setenv("SCALPEL_LIBRARY", str(tmp_path / "missing.so"))
    with pytest.raises(scalpel.ScalpelError, match="SCALPEL_LIBRARY is .*missing.so"):
        scalpel.library_path()
