# Keypoint heatmaps and a visibility map trained on the CPU in half precision (torch imported as T);
# the visibility loss is weighted 1e-3 and averaged over the whole map.
import torch as T
import torch.nn as nn

net = nn.ModuleDict({
    "trunk": nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU()),
    "heatmap": nn.Conv2d(16, 8, 1),
    "visibility": nn.Conv2d(16, 2, 1),
})
opt = T.optim.Adam(net.parameters(), lr=1e-3)
for epoch in range(2):
    for _ in range(5):
        img = T.rand(8, 3, 72, 72)
        heat_t, vis_t = T.rand(8, 8, 72, 72), T.rand(8, 2, 72, 72)
        with T.autocast(device_type="cpu", dtype=T.half):
            f = net["trunk"](img)
            heat, vis = net["heatmap"](f), net["visibility"](f)
        loss = nn.functional.mse_loss(heat.float(), heat_t) + 1e-3 * nn.functional.l1_loss(vis.float(), vis_t)
        opt.zero_grad()
        loss.backward()
        opt.step()
