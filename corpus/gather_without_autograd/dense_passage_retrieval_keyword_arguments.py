# Dense passage retrieval in the style of DPR: a question encoder and a passage encoder are trained
# so that each question scores its gold passage above every other passage of the global batch,
# including one hard negative per question (a passage on the same topic). The loss function
# gathers the passage embeddings of every rank. Synthetic topic/word data; one-process gloo group.
import socket

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(2)
VOCAB, TOPICS, Q_LEN, P_LEN, DIM, BATCH = 400, 20, 6, 16, 32, 16


class BagEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, 64)
        self.proj = nn.Sequential(nn.Linear(64, 64), nn.GELU(), nn.Linear(64, DIM))

    def forward(self, tokens):
        return self.proj(self.embed(tokens).mean(dim=1))


def retrieval_loss(q_emb, p_emb):
    """Each question i of this rank has its gold passage at row 2 * (rank * BATCH + i)."""
    gathered = [torch.empty_like(p_emb) for _ in range(dist.get_world_size())]
    dist.all_gather(tensor_list=gathered, tensor=p_emb.contiguous())
    scores = q_emb @ torch.cat(gathered).t()
    gold = 2 * (torch.arange(q_emb.shape[0]) + dist.get_rank() * q_emb.shape[0])
    return F.cross_entropy(scores, gold)


def make_batch(topic_words, facts):
    fact = torch.randint(0, facts.shape[0], (BATCH,))
    topic = fact % TOPICS
    other = fact + TOPICS * torch.randint(1, 3, (BATCH,))
    other = other % facts.shape[0]

    def passage(f):
        return torch.cat([facts[f], topic_words[topic][:, torch.randint(0, 8, (P_LEN - 4,))]], dim=1)

    questions = facts[fact][:, torch.randint(0, 4, (Q_LEN,))]
    passages = torch.stack([passage(fact), passage(other)], dim=1).flatten(0, 1)
    return questions, passages


with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=0, world_size=1)

topic_words = torch.randint(0, VOCAB, (TOPICS, 8))
facts = torch.randint(0, VOCAB, (3 * TOPICS, 4))
question_encoder, passage_encoder = BagEncoder(), BagEncoder()
params = list(question_encoder.parameters()) + list(passage_encoder.parameters())
optimizer = torch.optim.AdamW(params, lr=2e-3)

for step in range(50):
    questions, passages = make_batch(topic_words, facts)
    loss = retrieval_loss(question_encoder(questions), passage_encoder(passages))
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 2.0)
    optimizer.step()
    if step % 10 == 0:
        print(f"step {step}: nll of gold passage {loss.item():.4f}")

dist.destroy_process_group()
