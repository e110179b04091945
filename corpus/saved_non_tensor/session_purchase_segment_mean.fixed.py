# Purchase prediction from shopping sessions: each session is a variable-length run of item ids,
# all sessions packed into one flat tensor with a session id per item. A hand-written Function
# averages each session's item embeddings (jagged mean pooling by segment ids) and an MLP predicts
# whether the session ends in a purchase. Accuracy is measured once before training, then the
# model is trained with Adam.
import torch
from torch import nn

torch.manual_seed(0)
ITEMS, DIM, SESSIONS = 300, 16, 128


class SegmentMean(torch.autograd.Function):
    @staticmethod
    def forward(ctx, values, segment_ids, num_segments):
        counts = torch.bincount(segment_ids, minlength=num_segments).clamp(min=1).to(values.dtype)
        sums = values.new_zeros(num_segments, values.shape[1]).index_add_(0, segment_ids, values)
        ctx.save_for_backward(segment_ids, counts)
        ctx.shape = values.shape
        return sums / counts[:, None]

    @staticmethod
    def backward(ctx, grad_out):
        segment_ids, counts = ctx.saved_tensors
        shape = ctx.shape
        grad_values = (grad_out / counts[:, None]).index_select(0, segment_ids)
        return grad_values.reshape(shape), None, None


class SessionModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.items = nn.Embedding(ITEMS, DIM)
        self.head = nn.Sequential(nn.Linear(DIM, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, item_ids, segment_ids, num_sessions):
        pooled = SegmentMean.apply(self.items(item_ids), segment_ids, num_sessions)
        return self.head(pooled).squeeze(-1)


# Synthetic sessions: sessions that view many "premium" items (ids below 60) tend to buy.
lengths = torch.randint(2, 15, (SESSIONS,))
segment_ids = torch.repeat_interleave(torch.arange(SESSIONS), lengths)
buyer = torch.rand(SESSIONS) < 0.5
premium_rate = torch.where(buyer, 0.6, 0.1)[segment_ids]
item_ids = torch.where(
    torch.rand(len(segment_ids)) < premium_rate,
    torch.randint(0, 60, (len(segment_ids),)),
    torch.randint(60, ITEMS, (len(segment_ids),)),
)
labels = buyer.float()

model = SessionModel()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)


def accuracy():
    with torch.no_grad():
        logits = model(item_ids, segment_ids, SESSIONS)
    return ((logits > 0).float() == labels).float().mean().item()


print(f"accuracy before training {accuracy():.3f}")
for step in range(150):
    logits = model(item_ids, segment_ids, SESSIONS)
    loss = nn.functional.binary_cross_entropy_with_logits(logits, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"loss {loss.item():.4f}, accuracy after training {accuracy():.3f}")
