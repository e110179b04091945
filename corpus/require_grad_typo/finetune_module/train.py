import torch
import torch.nn as nn
import torch.optim as optim

from model import SpeechTagger


def main():
    torch.manual_seed(0)
    # in the real project this state dict comes from the pretraining job
    pretrained = SpeechTagger(n_tags=10).backbone.state_dict()

    model = SpeechTagger(n_tags=5)
    model.backbone.load_state_dict(pretrained)
    model.set_backbone_trainable(False)

    optimizer = optim.AdamW(model.parameters(), lr=5e-3)
    criterion = nn.CrossEntropyLoss()
    features = torch.randn(16, 20, 50)
    tags = torch.randint(0, 5, (16, 50))

    for step in range(4):
        optimizer.zero_grad()
        loss = criterion(model(features), tags)
        loss.backward()
        optimizer.step()
        print(f"step {step}: loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
