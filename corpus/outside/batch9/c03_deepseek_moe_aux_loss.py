"""DeepSeekMoE-style sparse MoE layer in a tiny LM, trained with a load-balancing aux loss.

As in DeepSeek-MoE, the sequence-level auxiliary balance loss is not added to
the LM loss; it is attached to the layer output through AddAuxiliaryLoss, an
autograd.Function whose backward feeds d(aux)=1 into the aux-loss graph.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"
config = dict(vocab_size=64, hidden_size=32, moe_intermediate_size=16, n_routed_experts=4,
              num_experts_per_tok=2, n_shared_experts=1, aux_loss_alpha=0.01, seq_aux=True,
              norm_topk_prob=False, num_layers=2)


class AddAuxiliaryLoss(torch.autograd.Function):
    """
    The trick function of adding auxiliary (aux) loss,
    which includes the gradient of the aux loss during backpropagation.
    """
    @staticmethod
    def forward(ctx, x, loss):
        assert loss.numel() == 1
        ctx.dtype = loss.dtype
        ctx.required_aux_loss = loss.requires_grad
        return x

    @staticmethod
    def backward(ctx, grad_output):
        grad_loss = None
        if ctx.required_aux_loss:
            grad_loss = torch.ones(1, dtype=ctx.dtype, device=grad_output.device)
        return grad_output, grad_loss


class DeepseekMLP(nn.Module):
    def __init__(self, hidden_size, intermediate_size):
        super().__init__()
        self.gate_proj = nn.Linear(hidden_size, intermediate_size, bias=False)
        self.up_proj = nn.Linear(hidden_size, intermediate_size, bias=False)
        self.down_proj = nn.Linear(intermediate_size, hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class MoEGate(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.top_k, self.n_routed_experts = cfg["num_experts_per_tok"], cfg["n_routed_experts"]
        self.alpha, self.seq_aux, self.norm_topk_prob = cfg["aux_loss_alpha"], cfg["seq_aux"], cfg["norm_topk_prob"]
        self.weight = nn.Parameter(torch.empty(self.n_routed_experts, cfg["hidden_size"]))
        nn.init.kaiming_uniform_(self.weight, a=5 ** 0.5)

    def forward(self, hidden_states):
        bsz, seq_len, h = hidden_states.shape
        hidden_states = hidden_states.view(-1, h)
        scores = F.linear(hidden_states, self.weight, None).softmax(dim=-1)
        topk_weight, topk_idx = torch.topk(scores, k=self.top_k, dim=-1, sorted=False)
        if self.top_k > 1 and self.norm_topk_prob:
            topk_weight = topk_weight / (topk_weight.sum(dim=-1, keepdim=True) + 1e-20)
        if self.training and self.alpha > 0.0:
            scores_for_aux = scores
            topk_idx_for_aux_loss = topk_idx.view(bsz, -1)
            if self.seq_aux:
                scores_for_seq_aux = scores_for_aux.view(bsz, seq_len, -1)
                ce = torch.zeros(bsz, self.n_routed_experts, device=hidden_states.device)
                ce.scatter_add_(1, topk_idx_for_aux_loss,
                                torch.ones(bsz, seq_len * self.top_k, device=hidden_states.device)).div_(
                    seq_len * self.top_k / self.n_routed_experts)
                aux_loss = (ce * scores_for_seq_aux.mean(dim=1)).sum(dim=1).mean() * self.alpha
        else:
            aux_loss = None
        return topk_idx, topk_weight, aux_loss


class DeepseekMoE(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.num_experts_per_tok = cfg["num_experts_per_tok"]
        self.experts = nn.ModuleList([DeepseekMLP(cfg["hidden_size"], cfg["moe_intermediate_size"])
                                      for _ in range(cfg["n_routed_experts"])])
        self.gate = MoEGate(cfg)
        self.shared_experts = DeepseekMLP(cfg["hidden_size"], cfg["moe_intermediate_size"] * cfg["n_shared_experts"])

    def forward(self, hidden_states):
        identity, orig_shape = hidden_states, hidden_states.shape
        topk_idx, topk_weight, aux_loss = self.gate(hidden_states)
        hidden_states = hidden_states.view(-1, hidden_states.shape[-1])
        flat_topk_idx = topk_idx.view(-1)
        hidden_states = hidden_states.repeat_interleave(self.num_experts_per_tok, dim=0)
        y = torch.empty_like(hidden_states)
        for i, expert in enumerate(self.experts):
            y[flat_topk_idx == i] = expert(hidden_states[flat_topk_idx == i])
        y = (y.view(*topk_weight.shape, -1) * topk_weight.unsqueeze(-1)).sum(dim=1)
        y = y.view(*orig_shape)
        if self.training:
            y = AddAuxiliaryLoss.apply(y, aux_loss)
        return y + self.shared_experts(identity)


class DecoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.input_layernorm = nn.LayerNorm(cfg["hidden_size"])
        self.self_attn = nn.MultiheadAttention(cfg["hidden_size"], 4, batch_first=True)
        self.post_attention_layernorm = nn.LayerNorm(cfg["hidden_size"])
        self.mlp = DeepseekMoE(cfg)

    def forward(self, x, mask):
        h = self.input_layernorm(x)
        x = x + self.self_attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.mlp(self.post_attention_layernorm(x))


class DeepseekForCausalLM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], cfg["hidden_size"])
        self.layers = nn.ModuleList([DecoderLayer(cfg) for _ in range(cfg["num_layers"])])
        self.norm = nn.LayerNorm(cfg["hidden_size"])
        self.lm_head = nn.Linear(cfg["hidden_size"], cfg["vocab_size"], bias=False)

    def forward(self, input_ids):
        L = input_ids.shape[1]
        mask = torch.triu(torch.full((L, L), float("-inf"), device=input_ids.device), 1)
        h = self.embed_tokens(input_ids)
        for layer in self.layers:
            h = layer(h, mask)
        return self.lm_head(self.norm(h))


torch.manual_seed(0)
model = DeepseekForCausalLM(config).to(device)
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
data = torch.randint(0, config["vocab_size"], (40, 17))
model.train()
for step in range(10):
    batch = data[(step * 4) % 40:(step * 4) % 40 + 4].to(device)
    logits = model(batch[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, config["vocab_size"]), batch[:, 1:].reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    scheduler.step()
    print(f"step {step}: lm loss {loss.item():.4f}")
