"""MiniMind-style GRPO (group relative policy optimisation), reduced to a toy LM.

Per step: sample `num_generations` completions per prompt from the policy,
score them with a rule-based reward, compute group-normalised advantages and
optimise the clipped policy-gradient objective with a KL penalty to a frozen
reference model.
"""
import argparse
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser(description="MiniMind GRPO (Group Relative Policy Optimization)")
parser.add_argument("--batch_size", type=int, default=2)
parser.add_argument("--learning_rate", type=float, default=1e-4)
parser.add_argument("--device", type=str, default="cuda:0" if torch.cuda.is_available() else "cpu")
parser.add_argument("--num_generations", type=int, default=4)
parser.add_argument("--max_gen_len", type=int, default=8)
parser.add_argument("--beta", type=float, default=0.02)
parser.add_argument("--epsilon", type=float, default=0.2)
parser.add_argument("--grad_clip", type=float, default=1.0)
parser.add_argument("--steps", type=int, default=4)
args = parser.parse_args()

VOCAB, HIDDEN, PAD_ID, EOS_ID, TARGET_ID = 48, 32, 0, 1, 7


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(HIDDEN), nn.LayerNorm(HIDDEN)
        self.qkv = nn.Linear(HIDDEN, 3 * HIDDEN)
        self.o = nn.Linear(HIDDEN, HIDDEN)
        self.mlp = nn.Sequential(nn.Linear(HIDDEN, 4 * HIDDEN), nn.GELU(), nn.Linear(4 * HIDDEN, HIDDEN))

    def forward(self, x):
        B, L, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(B, L, 3, 4, HIDDEN // 4).unbind(2)
        att = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), is_causal=True)
        x = x + self.o(att.transpose(1, 2).reshape(B, L, HIDDEN))
        return x + self.mlp(self.ln2(x))


class MiniMindForCausalLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB, HIDDEN)
        self.layers = nn.ModuleList([Block() for _ in range(2)])
        self.norm = nn.LayerNorm(HIDDEN)
        self.lm_head = nn.Linear(HIDDEN, VOCAB, bias=False)

    def forward(self, input_ids, attention_mask=None):
        h = self.embed_tokens(input_ids)
        for layer in self.layers:
            h = layer(h)
        return self.lm_head(self.norm(h))

    def generate(self, input_ids, max_new_tokens, temperature=1.0, num_return_sequences=1):
        ids = input_ids.repeat_interleave(num_return_sequences, dim=0)
        for _ in range(max_new_tokens):
            logits = self(ids)[:, -1, :] / temperature
            next_id = torch.multinomial(F.softmax(logits, dim=-1), 1)
            ids = torch.cat([ids, next_id], dim=1)
        return ids


def calculate_rewards(completion_ids):
    # rule-based reward: how often the completion uses the target token, penalise early EOS
    return (completion_ids == TARGET_ID).float().mean(1) - 0.5 * (completion_ids[:, :2] == EOS_ID).float().mean(1)


def per_token_logps(logits, ids):
    return torch.gather(F.log_softmax(logits, dim=-1), 2, ids.unsqueeze(-1)).squeeze(-1)


def grpo_train_epoch(model, ref_model, optimizer, prompts):
    for step in range(args.steps):
        prompt_ids = prompts[step % len(prompts)].to(args.device)
        prompt_len = prompt_ids.size(1)
        model.eval()
        with torch.inference_mode():
            outputs = model.generate(prompt_ids, max_new_tokens=args.max_gen_len, temperature=0.8,
                                     num_return_sequences=args.num_generations)  # [B*num_gen, P+R]
            old_per_token_logps = per_token_logps(model(outputs)[:, :-1], outputs[:, 1:])[:, prompt_len - 1:]
        model.train()
        completion_ids = outputs[:, prompt_len:]
        full_mask = (outputs != PAD_ID).long()

        rewards = calculate_rewards(completion_ids)
        grouped = rewards.view(-1, args.num_generations)
        mean_r = grouped.mean(dim=1).repeat_interleave(args.num_generations)
        std_r = grouped.std(dim=1, unbiased=False).repeat_interleave(args.num_generations)
        advantages = (rewards - mean_r) / (std_r + 1e-4)

        res = model(outputs, attention_mask=full_mask)
        logps = per_token_logps(res[:, :-1], outputs[:, 1:])[:, prompt_len - 1:]
        with torch.no_grad():
            ref_logps = per_token_logps(ref_model(outputs, attention_mask=full_mask)[:, :-1], outputs[:, 1:])[:, prompt_len - 1:]

        kl_div = ref_logps - logps
        per_token_kl = torch.exp(kl_div) - kl_div - 1
        ratio = torch.exp(logps - old_per_token_logps)
        clipped_ratio = torch.clamp(ratio, 1 - args.epsilon, 1 + args.epsilon)
        per_token_loss = -(torch.min(ratio * advantages.unsqueeze(1), clipped_ratio * advantages.unsqueeze(1))
                           - args.beta * per_token_kl)
        loss = per_token_loss.mean()

        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip)
        optimizer.step()
        print(f"step {step}: reward {rewards.mean().item():.3f} loss {loss.item():.4f}")


torch.manual_seed(0)
model = MiniMindForCausalLM().to(args.device)
ref_model = copy.deepcopy(model).eval().requires_grad_(False)
optimizer = torch.optim.AdamW(model.parameters(), lr=args.learning_rate)
prompts = [torch.randint(2, VOCAB, (args.batch_size, 5)) for _ in range(2)]
grpo_train_epoch(model, ref_model, optimizer, prompts)
