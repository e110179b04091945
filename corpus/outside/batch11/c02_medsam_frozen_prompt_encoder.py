"""MedSAM fine-tuning (train_one_gpu.py layout): the image encoder and the mask decoder are
fine-tuned; the prompt encoder is kept frozen and run under torch.no_grad()."""
import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"


class ImageEncoder(nn.Module):
    def __init__(self, dim=16):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, 4, 4)
        self.neck = nn.Conv2d(dim, dim, 1)

    def forward(self, x):
        return self.neck(F.gelu(self.patch_embed(x)))


class PromptEncoder(nn.Module):
    def __init__(self, dim=16):
        super().__init__()
        self.box_embed = nn.Linear(4, dim)
        self.no_mask_embed = nn.Embedding(1, dim)

    def forward(self, boxes):
        return self.box_embed(boxes)[:, None], self.no_mask_embed.weight[None, :, :, None, None]


class MaskDecoder(nn.Module):
    def __init__(self, dim=16):
        super().__init__()
        self.mix = nn.Conv2d(dim, dim, 3, padding=1)
        self.output_upscaling = nn.ConvTranspose2d(dim, 1, 4, 4)

    def forward(self, image_embeddings, sparse, dense):
        x = image_embeddings + dense.squeeze(1) + sparse.mean(1)[..., None, None]
        return self.output_upscaling(F.relu(self.mix(x)))


class MedSAM(nn.Module):
    def __init__(self, image_encoder, mask_decoder, prompt_encoder):
        super().__init__()
        self.image_encoder = image_encoder
        self.mask_decoder = mask_decoder
        self.prompt_encoder = prompt_encoder
        # freeze prompt encoder
        for param in self.prompt_encoder.parameters():
            param.requires_grad = False

    def forward(self, image, box):
        image_embedding = self.image_encoder(image)
        with torch.no_grad():
            sparse_embeddings, dense_embeddings = self.prompt_encoder(box)
        return self.mask_decoder(image_embedding, sparse_embeddings, dense_embeddings)


torch.manual_seed(0)
medsam_model = MedSAM(ImageEncoder(), MaskDecoder(), PromptEncoder()).to(device)
img_mask_encdec_params = list(medsam_model.image_encoder.parameters()) + list(medsam_model.mask_decoder.parameters())
optimizer = torch.optim.AdamW(img_mask_encdec_params, lr=1e-3, weight_decay=0.01)
images = torch.rand(8, 3, 32, 32)
gts = (images.mean(1, keepdim=True) > 0.5).float()
boxes = torch.tensor([[0.0, 0.0, 32.0, 32.0]]).repeat(8, 1)
for step in range(6):
    pred = medsam_model(images.to(device), boxes.to(device))
    loss = F.binary_cross_entropy_with_logits(pred, gts.to(device)) + \
        (1 - (2 * (torch.sigmoid(pred) * gts).sum() + 1) / (torch.sigmoid(pred).sum() + gts.sum() + 1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"step {step} loss {loss.item():.4f}")
