import torch
import torch.nn as nn


class TicketClassifier(nn.Module):
    """Embeds a categorical id and combines it with numeric count features."""

    def __init__(self, num_categories, emb_dim, num_numeric, num_classes):
        super().__init__()
        self.embedding = nn.Embedding(num_categories, emb_dim)
        self.numeric = nn.Linear(num_numeric, emb_dim)
        self.head = nn.Linear(2 * emb_dim, num_classes)

    def forward(self, category_ids, numeric):
        emb = self.embedding(category_ids)
        num = torch.relu(self.numeric(numeric))
        return self.head(torch.cat([emb, num], dim=1))
