# MAML for few-shot keyword spotting: a new user records one or two examples of each of five
# custom wake words, and the model adapts to them in a few gradient steps. Keywords are synthetic
# log-mel patches: each word is a sequence of formant tracks, each utterance a time-stretched,
# pitch-shifted, noisy rendition of it. The inner loop uses torch.func over the backbone.
import torch
import torch.nn.functional as F
from torch import func

from backbone import KeywordNet

N_WAY, K_SHOT, K_QUERY = 5, 2, 4
MELS, FRAMES = 16, 16
INNER_STEPS, INNER_LR = 2, 0.3
META_BATCH, META_STEPS = 2, 20

torch.manual_seed(5)
vocabulary = torch.randint(2, MELS - 2, (120, 4))  # four formant positions per word


def utterance(word, n):
    mel = torch.arange(MELS).view(1, MELS, 1).float()
    frame = torch.arange(FRAMES).view(1, 1, FRAMES).float()
    stretch = torch.empty(n, 1, 1).uniform_(0.8, 1.2)
    shift = torch.randint(-1, 2, (n, 1, 1)).float()
    segment = (frame * stretch / FRAMES * 4).long().clamp(max=3)
    centre = vocabulary[word][segment].float() + shift
    energy = torch.exp(-0.5 * (mel - centre) ** 2)
    return (energy + 0.3 * torch.randn(n, MELS, FRAMES)).unsqueeze(1)


def episode(words):
    chosen = words[torch.randperm(len(words))[:N_WAY]]
    xs, ys, xq, yq = [], [], [], []
    for label, w in enumerate(chosen.tolist()):
        clips = utterance(w, K_SHOT + K_QUERY)
        xs.append(clips[:K_SHOT]); xq.append(clips[K_SHOT:])
        ys += [label] * K_SHOT; yq += [label] * K_QUERY
    return torch.cat(xs), torch.tensor(ys), torch.cat(xq), torch.tensor(yq)


net = KeywordNet(N_WAY)
outer_opt = torch.optim.Adam(net.parameters(), lr=1e-3)
train_words, test_words = torch.arange(100), torch.arange(100, 120)


def support_loss(weights, x, y):
    return F.cross_entropy(func.functional_call(net, weights, (x,)), y)


def adapted_query_logits(weights, xs, ys, xq):
    for _ in range(INNER_STEPS):
        grads, _ = func.grad_and_value(support_loss)(weights, xs, ys)
        weights = {k: w - INNER_LR * grads[k] for k, w in weights.items()}
    return func.functional_call(net, weights, (xq,))


net.train()
for step in range(1, META_STEPS + 1):
    weights = dict(net.named_parameters())
    meta_loss, correct = 0.0, 0.0
    for _ in range(META_BATCH):
        xs, ys, xq, yq = episode(train_words)
        logits = adapted_query_logits(weights, xs, ys, xq)
        meta_loss = meta_loss + F.cross_entropy(logits, yq) / META_BATCH
        correct += (logits.argmax(1) == yq).float().mean().item() / META_BATCH
    outer_opt.zero_grad()
    meta_loss.backward()
    outer_opt.step()
    if step % 5 == 0:
        frozen = {k: v.detach() for k, v in net.named_parameters()}
        xs, ys, xq, yq = episode(test_words)
        test_acc = (adapted_query_logits(frozen, xs, ys, xq).argmax(1) == yq).float().mean()
        print(f"step {step:2d}  meta-loss {meta_loss.item():.3f}  train acc {correct:.2f}  test acc {test_acc:.2f}")
