# Spoken-keyword recognition on synthetic speech: each utterance is a run of 13-dimensional
# filterbank frames of its own length, zero-padded into a batch. A helper runs a GRU over the
# frames (packed, so the padding is skipped) and averages its outputs over the real frames; a
# linear layer picks one of six keywords. Batches come from a shuffling DataLoader.
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
N_MELS, MAX_FRAMES, KEYWORDS, HIDDEN = 13, 60, 6, 32


def make_utterances(count):
    words = torch.randint(0, KEYWORDS, (count,))
    lengths = torch.randint(20, MAX_FRAMES + 1, (count,))
    prototypes = torch.randn(KEYWORDS, N_MELS)
    envelope = torch.sin(torch.linspace(0, 3.0, MAX_FRAMES))
    frames = prototypes[words][:, None, :] * envelope[None, :, None]
    frames = frames + 0.5 * torch.randn(count, MAX_FRAMES, N_MELS)
    mask = torch.arange(MAX_FRAMES)[None, :] < lengths[:, None]
    return frames * mask[..., None], lengths, words


def encode(gru, frames, lengths):
    """Mean of the GRU's outputs over each utterance's real frames."""
    packed = nn.utils.rnn.pack_padded_sequence(frames, lengths, batch_first=True)
    outputs, _ = gru(packed)
    padded, out_lengths = nn.utils.rnn.pad_packed_sequence(outputs, batch_first=True)
    return padded.sum(1) / out_lengths[:, None].float()


gru = nn.GRU(N_MELS, HIDDEN, batch_first=True)
classifier = nn.Linear(HIDDEN, KEYWORDS)
optimizer = torch.optim.Adam(list(gru.parameters()) + list(classifier.parameters()), lr=3e-3)

frames, lengths, words = make_utterances(256)
loader = DataLoader(TensorDataset(frames, lengths, words), batch_size=32, shuffle=True)

for epoch in range(4):
    total, correct = 0.0, 0
    for batch_frames, batch_lengths, batch_words in loader:
        logits = classifier(encode(gru, batch_frames, batch_lengths))
        loss = nn.functional.cross_entropy(logits, batch_words)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
        correct += (logits.argmax(1) == batch_words).sum().item()
    print(f"epoch {epoch}: loss {total / len(loader):.4f}, accuracy {correct / len(frames):.2f}")
