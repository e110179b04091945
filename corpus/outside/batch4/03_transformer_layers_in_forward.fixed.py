"""Tiny encoder-decoder Transformer that learns to reverse token sequences."""
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)

vocab_size = 12          # 0 = PAD, 1 = S (start), 2..11 = symbols
seq_len = 6
d_model = 32
d_ff = 64
d_k = d_v = 8
n_heads = 4
n_layers = 2


def make_batch(batch_size=16):
    src = torch.randint(2, vocab_size, (batch_size, seq_len))
    tgt = torch.flip(src, dims=[1])
    dec_in = torch.cat([torch.ones(batch_size, 1, dtype=torch.long), tgt[:, :-1]], 1)
    return src, dec_in, tgt


def get_attn_pad_mask(seq_q, seq_k):
    batch_size, len_q = seq_q.size()
    pad_attn_mask = seq_k.eq(0).unsqueeze(1)
    return pad_attn_mask.expand(batch_size, len_q, seq_k.size(1))


def get_attn_subsequent_mask(seq):
    mask = np.triu(np.ones((seq.size(0), seq.size(1), seq.size(1))), k=1)
    return torch.from_numpy(mask).bool()


class ScaledDotProductAttention(nn.Module):
    def forward(self, Q, K, V, attn_mask):
        scores = torch.matmul(Q, K.transpose(-1, -2)) / np.sqrt(d_k)
        scores = scores.masked_fill(attn_mask, -1e9)
        attn = nn.Softmax(dim=-1)(scores)
        return torch.matmul(attn, V), attn


class MultiHeadAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.W_Q = nn.Linear(d_model, d_k * n_heads)
        self.W_K = nn.Linear(d_model, d_k * n_heads)
        self.W_V = nn.Linear(d_model, d_v * n_heads)
        self.linear = nn.Linear(n_heads * d_v, d_model)
        self.layer_norm = nn.LayerNorm(d_model)

    def forward(self, Q, K, V, attn_mask):
        residual, batch_size = Q, Q.size(0)
        q_s = self.W_Q(Q).view(batch_size, -1, n_heads, d_k).transpose(1, 2)
        k_s = self.W_K(K).view(batch_size, -1, n_heads, d_k).transpose(1, 2)
        v_s = self.W_V(V).view(batch_size, -1, n_heads, d_v).transpose(1, 2)
        attn_mask = attn_mask.unsqueeze(1).repeat(1, n_heads, 1, 1)
        context, attn = ScaledDotProductAttention()(q_s, k_s, v_s, attn_mask)
        context = context.transpose(1, 2).contiguous().view(batch_size, -1, n_heads * d_v)
        output = self.linear(context)
        return self.layer_norm(output + residual), attn


class PoswiseFeedForwardNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(d_model, d_ff)
        self.fc2 = nn.Linear(d_ff, d_model)

    def forward(self, inputs):
        return self.fc2(torch.relu(self.fc1(inputs))) + inputs


class DecoderLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.dec_self_attn = MultiHeadAttention()
        self.dec_enc_attn = MultiHeadAttention()
        self.pos_ffn = PoswiseFeedForwardNet()

    def forward(self, dec_inputs, enc_outputs, self_mask, enc_mask):
        out, _ = self.dec_self_attn(dec_inputs, dec_inputs, dec_inputs, self_mask)
        out, _ = self.dec_enc_attn(out, enc_outputs, enc_outputs, enc_mask)
        return self.pos_ffn(out)


class Transformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.src_emb = nn.Embedding(vocab_size, d_model)
        self.tgt_emb = nn.Embedding(vocab_size, d_model)
        self.pos_emb = nn.Embedding(seq_len, d_model)
        self.enc_layers = nn.ModuleList([MultiHeadAttention() for _ in range(n_layers)])
        self.enc_ffn = nn.ModuleList([PoswiseFeedForwardNet() for _ in range(n_layers)])
        self.dec_layers = nn.ModuleList([DecoderLayer() for _ in range(n_layers)])
        self.projection = nn.Linear(d_model, vocab_size, bias=False)

    def forward(self, enc_inputs, dec_inputs):
        pos = self.pos_emb(torch.arange(seq_len)).unsqueeze(0)
        enc = self.src_emb(enc_inputs) + pos
        enc_mask = get_attn_pad_mask(enc_inputs, enc_inputs)
        for attn, ffn in zip(self.enc_layers, self.enc_ffn):
            enc, _ = attn(enc, enc, enc, enc_mask)
            enc = ffn(enc)
        dec = self.tgt_emb(dec_inputs) + pos
        self_mask = get_attn_pad_mask(dec_inputs, dec_inputs) | get_attn_subsequent_mask(dec_inputs)
        cross_mask = get_attn_pad_mask(dec_inputs, enc_inputs)
        for layer in self.dec_layers:
            dec = layer(dec, enc, self_mask, cross_mask)
        logits = self.projection(dec)
        return logits.view(-1, logits.size(-1))


model = Transformer()
criterion = nn.CrossEntropyLoss()
optimizer = optim.Adam(model.parameters(), lr=1e-3)

for epoch in range(25):
    optimizer.zero_grad()
    enc_inputs, dec_inputs, target_batch = make_batch()
    outputs = model(enc_inputs, dec_inputs)
    loss = criterion(outputs, target_batch.contiguous().view(-1))
    if (epoch + 1) % 5 == 0:
        print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.6f}'.format(loss.item()))
    loss.backward()
    optimizer.step()
