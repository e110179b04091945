"""Fine-tuning a small Transformer encoder, pretrained by an earlier run, for sequence tagging.

The option's default is the string "False", as it was copied from a YAML-style config: argparse
passes a string default through `type` too, and bool("False") is True.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F


def get_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--d_model", type=int, default=32)
    parser.add_argument("--freeze_encoder", type=lambda s: s.lower() in ("true", "1", "yes", "y", "on"), default="False")
    parser.add_argument("--lr", type=float, default=3e-4)
    return parser.parse_args([])


class Tagger(nn.Module):
    def __init__(self, vocab, d_model, n_tags):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead=4, dim_feedforward=64, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.tags = nn.Linear(d_model, n_tags)

    def forward(self, tokens):
        return self.tags(self.encoder(self.embed(tokens)))


def main():
    args = get_args()
    torch.manual_seed(0)
    model = Tagger(100, args.d_model, 5)
    pretrained = Tagger(100, args.d_model, 5)  # stands in for the checkpoint of the pretraining run
    model.encoder.load_state_dict(pretrained.encoder.state_dict())
    if args.freeze_encoder:
        model.encoder.requires_grad_(False)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr)
    for step in range(20):
        tokens = torch.randint(0, 100, (8, 12))
        tags = torch.randint(0, 5, (8, 12))
        loss = F.cross_entropy(model(tokens).reshape(-1, 5), tags.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


if __name__ == "__main__":
    main()
