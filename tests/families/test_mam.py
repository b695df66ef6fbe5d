"""MAM layers: forward and backward against a slow reference, pruned connections absent, PSP counts."""

import pytest
import torch

from bingo_studio.bingo.search import LotteryTicketSearch
from bingo_studio.config import ModelConfig
from bingo_studio.models import build_model, prunable_layers
from bingo_studio.models.mam import MAMMLP, MAMLinear, selection_counts
from bingo_studio.pruning.methods import METHODS, plan_for
from bingo_studio.pruning.methods.psp import selection_share
from bingo_studio.training.loop import evaluate


def reference_mam(x, w, b):
    """Loops over samples and outputs; max/min over the present (nonzero) weights only."""
    rows = []
    for s in range(x.shape[0]):
        outs = []
        for j in range(w.shape[0]):
            present = [i for i in range(w.shape[1]) if w[j, i] != 0]
            if not present:
                outs.append(b[j])
                continue
            prods = torch.stack([w[j, i] * x[s, i] for i in present])
            outs.append(prods.max() + prods.min() + b[j])
        rows.append(torch.stack(outs))
    return torch.stack(rows)


def toy_layer(seed=0, n_in=7, n_out=5):
    torch.manual_seed(seed)
    layer = MAMLinear(n_in, n_out).double()
    with torch.no_grad():
        layer.weight.mul_((torch.rand(n_out, n_in) > 0.3).double())  # some connections pruned
        layer.weight[2] = 0.0  # an output with no connection at all
    return layer


def test_forward_and_backward_match_the_slow_reference():
    layer = toy_layer()
    x = torch.randn(6, 7, dtype=torch.float64, requires_grad=True)
    y = layer(x)
    w_ref = layer.weight.detach().clone().requires_grad_(True)
    b_ref = layer.bias.detach().clone().requires_grad_(True)
    x_ref = x.detach().clone().requires_grad_(True)
    y_ref = reference_mam(x_ref, w_ref, b_ref)
    assert torch.allclose(y, y_ref)
    upstream = torch.randn_like(y)
    (y * upstream).sum().backward()
    (y_ref * upstream).sum().backward()
    assert torch.allclose(layer.weight.grad, w_ref.grad)
    assert torch.allclose(layer.bias.grad, b_ref.grad)
    assert torch.allclose(x.grad, x_ref.grad)
    assert torch.equal(layer.weight.grad[2], torch.zeros(7, dtype=torch.float64))
    # for one sample only the argmax and argmin connections of each output get a gradient
    layer.zero_grad()
    layer(x[:1].detach()).sum().backward()
    assert int((layer.weight.grad != 0).sum(1).max()) <= 2


def test_a_pruned_connection_does_not_compete():
    layer = MAMLinear(3, 1).double()
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[2.0, 0.0, 3.0]]))
        layer.bias.zero_()
    x = torch.tensor([[1.0, 5.0, 1.0]], dtype=torch.float64)
    # present products 2 and 3: max 3 + min 2; a competing 0 would have given 3 + 0
    assert layer(x).item() == 5.0


def test_large_batches_are_chunked_without_changing_the_result(monkeypatch):
    from bingo_studio.models import mam

    layer = toy_layer(1)
    x = torch.randn(50, 7, dtype=torch.float64)
    whole = layer(x)
    monkeypatch.setattr(mam, "CHUNK_ELEMENTS", 40)  # 1 sample a chunk
    assert torch.equal(layer(x), whole)


def test_heavily_pruned_layers_gather_their_columns_with_the_same_result(monkeypatch):
    from bingo_studio.models import mam

    torch.manual_seed(3)
    w = torch.randn(9, 40, dtype=torch.float64) * (torch.rand(9, 40) < 0.15)
    w[4] = 0.0
    x = torch.relu(torch.randn(30, 40, dtype=torch.float64))  # ReLU zeros: tied products
    sparse = mam.mam_winners(x, w)
    monkeypatch.setattr(mam, "SPARSE_SHARE", 0.0)  # force the full products
    full = mam.mam_winners(x, w)
    alive = (w != 0).any(1)
    for a, b in zip(sparse, full):
        assert torch.equal(a[:, alive], b[:, alive])
    layer = MAMLinear(40, 9).double()
    with torch.no_grad():
        layer.weight.copy_(w)
    assert torch.allclose(layer(x), reference_mam(x, layer.weight, layer.bias))


def test_selection_counts_by_hand():
    w = torch.tensor([[1.0, -1.0, 2.0], [0.0, 1.0, 1.0]])
    x = torch.tensor([[1.0, 1.0, 1.0], [3.0, 1.0, 0.0]])
    # sample 0: row 0 products (1, -1, 2): max i=2, min i=1; row 1 (absent, 1, 1): max i=1, min i=1
    # sample 1: row 0 products (3, -1, 0): max i=0, min i=1; row 1 (absent, 1, 0): max i=1, min i=2
    expected = torch.tensor([[1.0, 2.0, 1.0], [0.0, 3.0, 1.0]], dtype=torch.float64)
    assert torch.equal(selection_counts(x, w), expected)


def test_psp_share_sums_to_one_per_output_and_prunes_never_selected_first(mam_run, digits):
    x, _ = digits.tensors("train")
    share = selection_share(mam_run.model, x, mam_run.layers)
    for name, layer in mam_run.layers.items():
        assert torch.allclose(share[name].sum(1).double(), torch.ones(layer.weight.shape[0], dtype=torch.float64),
                              atol=1e-4)
    counts = selection_counts(x, mam_run.model.fc0.weight.detach())
    assert torch.equal(counts == 0, share["fc0"] == 0)
    zero = sum(int((s == 0).sum()) for s in share.values())
    assert zero > 0
    keep = plan_for(mam_run, "psp").masks_for(zero)
    for name in share:  # exactly the never-selected connections go first
        assert torch.equal(keep[name], share[name] > 0)


def test_family_builds_mam_hidden_layers_and_a_dense_output():
    model = build_model(ModelConfig(preset="digits-tiny", family="mam"), 64, 10)
    assert isinstance(model, MAMMLP)
    kinds = {n: type(m).__name__ for n, m in prunable_layers(model).items()}
    assert kinds == {"fc0": "MAMLinear", "fc1": "MAMLinear", "fc2": "Linear"}


def test_vanishing_contributions_end_as_pure_mam(mam_run, digits):
    x, _ = digits.tensors("val")
    assert all(m.dense_share == 0.0 for m in mam_run.model.modules() if isinstance(m, MAMLinear))
    assert mam_run.metrics["dense_val_accuracy"] > 0.8


def test_search_on_mam_takes_the_generic_path_and_measures_the_reset(mam_run, digits):
    layers = mam_run.layers
    init = {n: mam_run.initial_state[f"{n}.weight"] for n in layers}
    search = LotteryTicketSearch(mam_run.model, layers, init, reset_to="zero")
    assert not search.batched
    x, y = digits.tensors("val")
    subsets = torch.arange(6 * 300).view(6, 300)  # the first 300 weights of fc0, and so on
    result = search.run(subsets, x, y)
    params = {k: v.detach().clone() for k, v in mam_run.model.named_parameters()}
    params["fc0.weight"].view(-1)[300:600] = 0.0
    assert float(result.accuracy_after[1]) == pytest.approx(evaluate(mam_run.model, x, y, params))
    dense = build_model(ModelConfig(preset="digits-tiny"), 64, 10)
    dl = prunable_layers(dense)
    assert LotteryTicketSearch(dense, dl, {n: m.weight.detach() for n, m in dl.items()}).batched


# "bingo-search": the lottery-ticket searches' own score, gathered through the generic search path
# ("bingo" itself chooses among the train-time candidates on four full curves: the benchmark runs it)
@pytest.mark.parametrize("method", ["gmp", "lmp", "ggmp", "lgmp", "rp", "bingo-search", "bingo-taylor"])
def test_every_method_scores_a_mam_model(mam_run, digits, method):
    plan = plan_for(mam_run, method)
    n = plan.total // 2
    # the masked evaluation (weight * mask) and the pruned copy agree: pruned weights are absent
    pruned = plan.apply(n)
    x, y = digits.tensors("val")
    assert plan.accuracy_at(n) == pytest.approx(evaluate(pruned, x, y))
    assert sum(int((m.weight == 0).sum()) for m in prunable_layers(pruned).values()) >= n


def test_psp_prunes_a_mam_model_to_the_floor(mam_run):
    assert "psp" in METHODS
    plan = plan_for(mam_run, "psp")
    floor = plan.dense_val_accuracy - 0.05
    result = plan.prune(floor)
    assert result.floor_met and result.val_accuracy >= floor - 1e-9
    assert result.sparsity > 0.5


def test_vanishing_contributions_schedule():
    model = build_model(ModelConfig(preset="digits-tiny", family="mam"), 64, 10)
    x = torch.randn(4, 64)
    model.on_train_step(10, 100)  # 20% into the blend (it ends at half of training)
    assert model.fc0.dense_share == pytest.approx(0.8)
    blended = model.fc0(x)
    w, b = model.fc0.weight, model.fc0.bias
    mam = torch.stack([(w * row).amax(1) + (w * row).amin(1) for row in x])
    expected = 0.2 * mam + 0.8 * (x @ w.T) + b  # (1 - a) * (MAM + b) + a * (Wx + b)
    assert torch.allclose(blended, expected, atol=1e-5)
    model.on_train_step(50, 100)
    assert model.fc1.dense_share == 0.0
