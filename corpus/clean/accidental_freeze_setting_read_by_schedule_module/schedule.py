def maybe_unfreeze(model, cfg, epoch):
    if epoch >= cfg["unfreeze_epoch"] and cfg["train_embedding"]:
        model.embedding.requires_grad_(True)
