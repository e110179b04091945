"""Stage 1 pretrains the autoencoder; stage 2, after it, trains the classifier on the codes. The
classifier is used only in stage 2, which gradfix's early stop never reaches: it is not unused."""
import torch
import torch.nn.functional as F
from model import AutoencoderClassifier

torch.manual_seed(0)
model = AutoencoderClassifier()
x = torch.randn(256, 20)
y = torch.randint(0, 3, (256,))

pretrain = torch.optim.Adam(list(model.encoder.parameters()) + list(model.decoder.parameters()), lr=1e-3)
for epoch in range(10):
    pretrain.zero_grad()
    loss = F.mse_loss(model.decoder(model(x)), x)
    loss.backward()
    pretrain.step()

head = torch.optim.Adam(model.classifier.parameters(), lr=1e-2)
for epoch in range(10):
    with torch.no_grad():
        codes = model(x)
    head.zero_grad()
    loss = F.cross_entropy(model.classifier(codes), y)
    loss.backward()
    head.step()
