"""lmkit.check.adapting: right answers pass, typical wrong ones fail, and a check never raises."""
import importlib.util
import torch
import torch.nn.functional as F

from lmkit import check


def test_lora_forward(capsys):
    def right(x, W, A, B, alpha, r):
        return x @ W.T + (alpha / r) * (x @ A.T) @ B.T

    def merged(x, W, A, B, alpha, r):  # the merged weight gives the same outputs
        return x @ (W + (alpha / r) * B @ A).T

    def with_peft(x, W, A, B, alpha, r):  # peft's own LoRA layer with these weights
        from peft import LoraConfig, get_peft_model
        base = torch.nn.Sequential(torch.nn.Linear(W.shape[1], W.shape[0], bias=False, dtype=W.dtype))
        base[0].weight.data.copy_(W)
        model = get_peft_model(base, LoraConfig(r=r, lora_alpha=alpha, target_modules=["0"]))
        layer = model.base_model.model[0]
        layer.lora_A["default"].weight.data.copy_(A)
        layer.lora_B["default"].weight.data.copy_(B)
        with torch.no_grad():
            return model(x)

    assert check.lora_forward(right)
    assert check.lora_forward(merged)
    if importlib.util.find_spec("peft") is not None:  # peft is the chapter's, not lmkit's, requirement
        assert check.lora_forward(with_peft)
    assert not check.lora_forward(lambda x, W, A, B, alpha, r: x @ W.T + (x @ A.T) @ B.T)  # no scale
    assert not check.lora_forward(lambda x, W, A, B, alpha, r: x @ W.T + alpha * (x @ A.T) @ B.T)
    assert not check.lora_forward(lambda x, W, A, B, alpha, r: x @ W.T + (r / alpha) * (x @ A.T) @ B.T)
    assert not check.lora_forward(lambda x, W, A, B, alpha, r: (alpha / r) * (x @ A.T) @ B.T)  # no W
    assert not check.lora_forward(lambda x, W, A, B, alpha, r: x @ W.T + (x @ B) @ A)  # shapes: reported
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out


def test_masked_sft_targets(capsys):
    def right(prompt, answer):
        seq = torch.tensor(prompt + answer)
        y = seq[1:].clone()
        y[: len(prompt) - 1] = -1
        return seq[:-1], y

    def as_lists(prompt, answer):
        seq = prompt + answer
        return seq[:-1], [-1] * (len(prompt) - 1) + seq[len(prompt):]

    def unmasked(prompt, answer):
        seq = torch.tensor(prompt + answer)
        return seq[:-1], seq[1:]

    def one_too_many(prompt, answer):  # masks the first answer token too
        x, y = right(prompt, answer)
        y[: len(prompt)] = -1
        return x, y

    def masks_the_answer(prompt, answer):
        seq = torch.tensor(prompt + answer)
        y = seq[1:].clone()
        y[len(prompt) - 1:] = -1
        return seq[:-1], y

    assert check.masked_sft_targets(right)
    assert check.masked_sft_targets(as_lists)
    for wrong in (unmasked, one_too_many, masks_the_answer, lambda p, a: right(p, a)[1]):
        assert not check.masked_sft_targets(wrong)
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out and "return a pair" in out


def test_dpo_loss(capsys):
    def right(pc, pr, rc, rr, beta):
        return -F.logsigmoid(beta * ((pc - rc) - (pr - rr))).mean()

    def softplus(pc, pr, rc, rr, beta):
        return F.softplus(-beta * ((pc - rc) - (pr - rr))).mean()

    def with_trl_formula(pc, pr, rc, rr, beta):  # as trl's DPOTrainer writes its sigmoid loss
        chosen_logratios, rejected_logratios = pc - rc, pr - rr
        return (-F.logsigmoid(beta * (chosen_logratios - rejected_logratios))).mean()

    assert check.dpo_loss(right)
    assert check.dpo_loss(softplus)
    assert check.dpo_loss(with_trl_formula)
    wrong = [
        lambda pc, pr, rc, rr, beta: -F.logsigmoid(beta * (pc - pr)).mean(),  # no reference
        lambda pc, pr, rc, rr, beta: -F.logsigmoid(beta * ((pr - rr) - (pc - rc))).mean(),  # sign
        lambda pc, pr, rc, rr, beta: -F.logsigmoid((pc - rc) - (pr - rr)).mean(),  # no beta
        lambda pc, pr, rc, rr, beta: -F.logsigmoid(beta * ((pc - rc) - (pr - rr))),  # not averaged
        lambda pc, pr, rc, rr, beta: -F.logsigmoid(beta * ((pc - rc) - (pr - rr))).sum(),  # summed
        lambda pc, pr, rc, rr, beta: -torch.log(torch.sigmoid(beta * ((pc - rc) - (pr - rr)))).mean(),  # unstable
    ]
    for fn in wrong:
        assert not check.dpo_loss(fn)
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out
