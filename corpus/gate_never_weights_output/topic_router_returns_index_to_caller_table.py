"""A topic router (a module of its own) returns the topic index of each document; the caller
looks the topic's vector up in a table and adds it to the document encoding."""
import torch
from torch import nn

torch.manual_seed(7)
WORDS, TOPICS, WIDTH = 50, 5, 12


class TopicRouter(nn.Module):
    def __init__(self):
        super().__init__()
        self.score = nn.Linear(WIDTH, TOPICS)

    def forward(self, doc):
        scores = self.score(doc)
        topic = scores.argmax(1)
        return topic


class DocumentModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.bag = nn.EmbeddingBag(WORDS, WIDTH)
        self.router = TopicRouter()
        self.topic_vectors = nn.Embedding(TOPICS, WIDTH)
        self.head = nn.Linear(WIDTH, 2)

    def forward(self, words):
        doc = self.bag(words)
        topic = self.router(doc)
        return self.head(doc + self.topic_vectors(topic))


model = DocumentModel()
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
for step in range(10):
    words = torch.randint(0, WORDS, (24, 6))
    labels = (words[:, 0] % 2).long()
    loss = nn.functional.cross_entropy(model(words), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item())
