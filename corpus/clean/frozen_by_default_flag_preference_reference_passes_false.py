# Preference tuning (DPO) of a tiny bigram language model: the policy and the reference both
# load the supervised adapter on the same frozen base; only the policy's adapter is trained, on
# synthetic pairs whose chosen reply repeats the prompt's last token and whose rejected reply is
# random.
import torch
from torch import nn

torch.manual_seed(0)
VOCAB, DIM, RANK, BETA = 40, 24, 4, 0.1


class AdaptedBigramLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.out = nn.Linear(DIM, VOCAB)
        self.lora_A = nn.Parameter(torch.zeros(RANK, DIM))
        self.lora_B = nn.Parameter(torch.zeros(VOCAB, RANK))

    def forward(self, tokens):
        h = self.embed(tokens)
        return self.out(h) + h @ self.lora_A.t() @ self.lora_B.t()


def load_adapter(base_state, adapter_state, is_trainable=False):
    model = AdaptedBigramLM()
    model.load_state_dict({**base_state, **adapter_state})
    model.embed.requires_grad_(False)
    model.out.requires_grad_(False)
    for p in (model.lora_A, model.lora_B):
        p.requires_grad_(is_trainable)
    return model


def reply_logprob(model, prompt, reply):
    tokens = torch.cat([prompt, reply], 1)
    logits = model(tokens[:, :-1]).log_softmax(-1)
    picked = logits.gather(-1, tokens[:, 1:, None]).squeeze(-1)
    return picked[:, prompt.shape[1] - 1:].sum(1)


base = {k: v for k, v in AdaptedBigramLM().state_dict().items() if not k.startswith("lora_")}
sft_adapter = {"lora_A": 0.1 * torch.randn(RANK, DIM), "lora_B": 0.1 * torch.randn(VOCAB, RANK)}
policy = load_adapter(base, sft_adapter, is_trainable=True)
reference = load_adapter(base, sft_adapter, is_trainable=False)
optimizer = torch.optim.Adam([p for p in policy.parameters() if p.requires_grad], lr=5e-3)

prompts = torch.randint(0, VOCAB, (256, 6))
chosen = prompts[:, -1:].repeat(1, 4)
rejected = torch.randint(0, VOCAB, (256, 4))
for epoch in range(4):
    for i in range(0, 256, 32):
        p, c, r = prompts[i:i + 32], chosen[i:i + 32], rejected[i:i + 32]
        with torch.no_grad():
            ref_margin = reply_logprob(reference, p, c) - reply_logprob(reference, p, r)
        margin = reply_logprob(policy, p, c) - reply_logprob(policy, p, r)
        loss = -nn.functional.logsigmoid(BETA * (margin - ref_margin)).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} dpo loss {loss.item():.4f}")
