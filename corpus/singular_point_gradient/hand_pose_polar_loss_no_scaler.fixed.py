# 2-D hand keypoint regression: an MLP predicts 21 joints from synthetic image features, and the
# loss compares the hand in polar coordinates around the wrist (joint radii and finger angles),
# which does not care where the hand sits in the frame. bfloat16 autocast, no loss scaling.
import torch as th
import torch.nn as nn

th.manual_seed(2)
n_hands, n_joints, feat_dim = 320, 21, 64
true_joints = th.rand(n_hands, 1, 2) + 0.3 * th.randn(n_hands, n_joints, 2)
mixing = th.randn(n_joints * 2, feat_dim) / 6
features = true_joints.flatten(1) @ mixing + 0.05 * th.randn(n_hands, feat_dim)

def to_polar(joints):
    offsets = joints - joints[:, :1]  # every joint relative to the wrist
    radius = th.sqrt((offsets[..., 0] ** 2 + offsets[..., 1] ** 2).clamp_min(1e-12))
    angle = th.atan2(offsets[:, 1:, 1], offsets[:, 1:, 0])  # the wrist has no angle
    return radius, angle

regressor = nn.Sequential(nn.Linear(feat_dim, 256), nn.GELU(), nn.Linear(256, n_joints * 2))
optimizer = th.optim.Adam(regressor.parameters(), lr=1e-3)

target_radius, target_angle = to_polar(true_joints)

for epoch in range(10):
    for i in range(0, n_hands, 32):
        with th.autocast("cpu", dtype=th.bfloat16):
            pred = regressor(features[i:i + 32]).float().view(-1, n_joints, 2)
        radius, angle = to_polar(pred)
        radius_loss = (radius - target_radius[i:i + 32]).abs().mean()
        angle_loss = (1 - th.cos(angle - target_angle[i:i + 32])).mean()
        loss = radius_loss + 0.5 * angle_loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    if epoch % 3 == 0:
        print(f"epoch {epoch}: radius {radius_loss.item():.4f} angle {angle_loss.item():.4f}")

