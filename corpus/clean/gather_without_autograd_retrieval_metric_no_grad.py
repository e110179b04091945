# Audio-caption retrieval training with a local in-batch contrastive loss. Every few steps the
# embeddings of every rank are gathered under no_grad to report text->audio recall@1 over the
# global batch; the loss itself only uses this rank's own embeddings. Synthetic clips: each sound
# class has a spectral signature and a few caption words. One-process gloo group on this machine.
import socket

import torch
import torch.distributed as tdist
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(21)
N_CLASSES, N_MELS, FRAMES, VOCAB, WORDS, DIM = 12, 32, 20, 60, 4, 24


class AudioTextModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.audio = nn.GRU(N_MELS, 48, batch_first=True)
        self.audio_head = nn.Linear(48, DIM)
        self.words = nn.Embedding(VOCAB, DIM)
        self.text_head = nn.Sequential(nn.Linear(DIM, DIM), nn.Tanh(), nn.Linear(DIM, DIM))

    def embed_audio(self, mels):
        _, last = self.audio(mels)
        return F.normalize(self.audio_head(last[-1]), dim=-1)

    def embed_text(self, tokens):
        return F.normalize(self.text_head(self.words(tokens).mean(1)), dim=-1)


def gather_all(x):
    out = [torch.zeros_like(x) for _ in range(tdist.get_world_size())]
    tdist.all_gather(out, x)
    return torch.cat(out)


with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    free_port = s.getsockname()[1]
tdist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{free_port}", rank=0, world_size=1)

signatures = torch.randn(N_CLASSES, N_MELS)
class_words = torch.randint(0, VOCAB, (N_CLASSES, WORDS))
model = AudioTextModel()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

for step in range(40):
    labels = torch.randperm(N_CLASSES)[:8].repeat(3)
    mels = signatures[labels][:, None, :] + 0.5 * torch.randn(len(labels), FRAMES, N_MELS)
    text, audio = model.embed_text(class_words[labels]), model.embed_audio(mels)
    logits = text @ audio.t() / 0.07
    same = (labels[:, None] == labels[None, :]).float()
    loss = -(same * F.log_softmax(logits, dim=1)).sum(1).div(same.sum(1)).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        with torch.no_grad():
            all_text, all_audio, all_labels = gather_all(text), gather_all(audio), gather_all(labels)
            best = (all_text @ all_audio.t()).argmax(dim=1)
            recall = (all_labels[best] == all_labels).float().mean()
        print(f"step {step}: loss {loss.item():.4f}  text->audio R@1 {recall.item():.3f}")

tdist.destroy_process_group()
