# A recurrent memory module keeps a dict of slots ("keys", "values") that each batch of a stream
# writes and then reads; the updated memory is passed on to the next batch.
import torch
import torch.nn as nn


class SlotMemory(nn.Module):
    def __init__(self, dim=8, slots=4):
        super().__init__()
        self.write = nn.Linear(dim, dim)
        self.query = nn.Linear(dim, dim)
        self.slots = slots

    def forward(self, x, memory):
        update = torch.tanh(self.write(x)).mean(0, keepdim=True)
        memory = {"keys": 0.9 * memory["keys"] + 0.1 * update, "values": 0.9 * memory["values"] + 0.1 * update}
        attn = torch.softmax(self.query(x) @ memory["keys"].t(), dim=-1)
        return attn @ memory["values"], memory


def stream(batches=12, dim=8):
    torch.manual_seed(0)
    for _ in range(batches):
        x = torch.randn(10, dim)
        yield x, x.flip(-1)


model = SlotMemory()
head = nn.Linear(8, 8)
opt = torch.optim.SGD(list(model.parameters()) + list(head.parameters()), lr=0.05)
memory = {"keys": torch.randn(4, 8), "values": torch.randn(4, 8)}
for x, y in stream():
    read, memory = model(x, memory)
    memory = {k: v.detach() for k, v in memory.items()}
    loss = (head(read) - y).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
