# A recurrent memory transformer tags each bit of a long bit stream with the parity of all the ones
# seen so far: the stream is cut into segments, learned memory tokens are put in front of the
# first segment, and the memory positions' outputs are carried on into the next segment. A helper
# function builds each segment's input and its attention mask (1 = attend).
import torch
from torch import nn

torch.manual_seed(0)
DIM, SEGMENT, SEGMENTS, MEMORY = 32, 8, 3, 4


class MemoryCell(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(2, DIM)
        self.pos = nn.Parameter(torch.randn(MEMORY + SEGMENT, DIM) * 0.02)
        self.memory = nn.Parameter(torch.randn(MEMORY, DIM) * 0.02)
        self.layer = nn.TransformerEncoderLayer(DIM, 4, 64, dropout=0.0, batch_first=True)
        self.tagger = nn.Linear(DIM, 2)


def segment_inputs(cell, memory_state, bits):
    b = bits.size(0)
    x = torch.cat([memory_state, cell.embed(bits)], dim=1) + cell.pos
    attention_mask = torch.cat([torch.ones(b, len(cell.memory)), torch.ones(b, bits.size(1))], dim=1)
    return x, attention_mask


def run_stream(cell, stream):
    memory_state = cell.memory.unsqueeze(0).expand(stream.size(0), -1, -1)
    logits = []
    for segment in stream.split(SEGMENT, dim=1):
        x, attention_mask = segment_inputs(cell, memory_state, segment)
        h = cell.layer(x, src_key_padding_mask=attention_mask == 0)
        memory_state = h[:, :MEMORY]
        logits.append(cell.tagger(h[:, MEMORY:]))
    return torch.cat(logits, dim=1)


cell = MemoryCell()
optimizer = torch.optim.Adam(cell.parameters(), lr=2e-3)
for step in range(80):
    stream = torch.randint(0, 2, (32, SEGMENT * SEGMENTS))
    parity = stream.cumsum(1) % 2
    logits = run_stream(cell, stream)
    loss = nn.functional.cross_entropy(logits.reshape(-1, 2), parity.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"loss {loss.item():.4f}")
