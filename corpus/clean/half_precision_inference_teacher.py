# Knowledge distillation: a float16 teacher, used for inference only (model.half().eval() under
# no_grad, no scaler), and a float32 student trained by plain SGD. Correct code.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

teacher = nn.Sequential(nn.Linear(20, 128), nn.ReLU(), nn.Linear(128, 6))
teacher.load_state_dict({k: v * 1.5 for k, v in teacher.state_dict().items()})  # "pretrained"
teacher = teacher.half().eval()

student = nn.Sequential(nn.Linear(20, 24), nn.ReLU(), nn.Linear(24, 6))
optimizer = torch.optim.SGD(student.parameters(), lr=0.1, momentum=0.9)
T = 2.0

data = torch.randn(200, 20)
for epoch in range(3):
    for i in range(0, 200, 50):
        x = data[i : i + 50]
        with torch.no_grad():
            soft = F.softmax(teacher(x.half()).float() / T, dim=-1)
        log_probs = F.log_softmax(student(x) / T, dim=-1)
        loss = F.kl_div(log_probs, soft, reduction="batchmean") * T * T
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 5))
