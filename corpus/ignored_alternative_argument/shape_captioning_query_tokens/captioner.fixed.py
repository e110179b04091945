"""A tiny frozen vision-language model and a query-token bridge trained in front of its decoder."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class PatchVisionTower(nn.Module):
    def __init__(self, dim, patch=4, channels=3):
        super().__init__()
        self.patchify = nn.Conv2d(channels, dim, kernel_size=patch, stride=patch)
        self.mixer = nn.TransformerEncoderLayer(dim, 4, 2 * dim, dropout=0.0, batch_first=True)

    def forward(self, pixel_values):
        patches = self.patchify(pixel_values).flatten(2).transpose(1, 2)
        return self.mixer(patches)


class TinyVLM(nn.Module):
    """Stand-in for a pretrained captioner: image tokens are prepended to the caption tokens.

    Like the Hugging Face models it imitates, it takes either pixel_values, from which it computes
    its own image tokens, or image_embeds that the caller has already computed.
    """

    def __init__(self, vocab, dim):
        super().__init__()
        self.vision = PatchVisionTower(dim)
        self.projector = nn.Linear(dim, dim)
        self.embed_tokens = nn.Embedding(vocab, dim)
        self.decoder = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(dim, 4, 2 * dim, dropout=0.0, batch_first=True), 2, enable_nested_tensor=False
        )
        self.lm_head = nn.Linear(dim, vocab)

    def forward(self, input_ids, pixel_values=None, image_embeds=None, labels=None):
        if pixel_values is not None:
            image_embeds = self.projector(self.vision(pixel_values))
        text = self.embed_tokens(input_ids)
        hidden = torch.cat([image_embeds, text], dim=1)
        n = hidden.size(1)
        causal = torch.triu(torch.full((n, n), float("-inf")), diagonal=1)
        hidden = self.decoder(hidden, mask=causal)
        logits = self.lm_head(hidden[:, image_embeds.size(1):])
        if labels is None:
            return logits
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.size(-1)), labels[:, 1:].reshape(-1))
        return loss, logits


class QueryBridge(nn.Module):
    """Learned query tokens that read the frozen patch features through cross-attention and are
    handed to the decoder as its image tokens."""

    def __init__(self, vlm, num_queries=4, dim=32):
        super().__init__()
        self.vlm = vlm
        self.vlm.requires_grad_(False)
        self.vlm.lm_head.requires_grad_(True)  # the new caption vocabulary needs its own read-out
        self.query_tokens = nn.Parameter(torch.randn(1, num_queries, dim) * 0.02)
        self.cross_attn = nn.MultiheadAttention(dim, 4, batch_first=True)
        self.norm = nn.LayerNorm(dim)

    def forward(self, pixel_values, input_ids, labels=None):
        with torch.no_grad():
            patches = self.vlm.vision(pixel_values)
        queries = self.query_tokens.expand(pixel_values.size(0), -1, -1)
        attended, _ = self.cross_attn(queries, patches, patches)
        query_output = self.norm(queries + attended)
        return self.vlm(
            input_ids=input_ids,
            image_embeds=query_output,
            labels=labels,
        )
