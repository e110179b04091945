"""Few-shot adaptation for logistics demand/ETA regression with MAML (backend/ml/meta module).

Each task is a random linear "route" function; the meta-model should learn an initialization that
adapts to a new route from k support shipments.
"""
import copy
import logging
from typing import Dict, List, Tuple

import torch
import torch.nn as nn
from torch.func import functional_call

logging.basicConfig(level=logging.INFO, format="%(message)s")
logger = logging.getLogger(__name__)
torch.manual_seed(0)


class _AdaptedModel:
    """Holds graph-tracking adapted parameters; forwards through functional_call."""

    def __init__(self, base_model: nn.Module, params: Dict[str, torch.Tensor]):
        self.base_model, self.params = base_model, params

    def __call__(self, x):
        return functional_call(self.base_model, self.params, (x,))

    def eval(self):
        return self


class MAMLModel(nn.Module):
    """Model-Agnostic Meta-Learning (MAML)"""

    def __init__(self, input_dim: int = 64, hidden_dim: int = 256, output_dim: int = 1, num_layers: int = 3):
        super().__init__()
        self.input_dim, self.hidden_dim = input_dim, hidden_dim
        self.output_dim, self.num_layers = output_dim, num_layers
        layers = [nn.Linear(input_dim, hidden_dim), nn.ReLU(), nn.Dropout(0.2)]
        for _ in range(num_layers - 1):
            layers += [nn.Linear(hidden_dim, hidden_dim), nn.ReLU(), nn.Dropout(0.2)]
        layers.append(nn.Linear(hidden_dim, output_dim))
        self.network = nn.Sequential(*layers)
        logger.info(f"MAML initialized: input_dim={input_dim}, hidden_dim={hidden_dim}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network(x)

    def clone(self) -> "MAMLModel":
        """Create a clone of the model"""
        clone = MAMLModel(self.input_dim, self.hidden_dim, self.output_dim, self.num_layers)
        clone.load_state_dict(self.state_dict())
        return clone


class MAML:
    """Model-Agnostic Meta-Learning Algorithm"""

    def __init__(self, model: MAMLModel, inner_lr: float = 0.01, outer_lr: float = 0.001,
                 device: str = "cuda" if torch.cuda.is_available() else "cpu"):
        self.model = model.to(device)
        self.inner_lr, self.outer_lr, self.device = inner_lr, outer_lr, device
        self.outer_optimizer = torch.optim.Adam(self.model.parameters(), lr=outer_lr)
        self.criterion = nn.MSELoss()

    def inner_update(self, model: MAMLModel, support_x, support_y) -> _AdaptedModel:
        """Perform inner loop update (task-specific adaptation), keeping the graph to model."""
        adapted = {name: p.clone() for name, p in model.named_parameters()}
        pred = functional_call(model, adapted, (support_x,))
        loss = self.criterion(pred, support_y)
        grads = torch.autograd.grad(loss, list(adapted.values()), create_graph=True)
        adapted = {name: p - self.inner_lr * g for (name, p), g in zip(adapted.items(), grads)}
        return _AdaptedModel(model, adapted)

    def outer_update(self, meta_loss: torch.Tensor):
        """Perform outer loop update (meta-optimization)"""
        self.outer_optimizer.zero_grad()
        meta_loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.outer_optimizer.step()

    def meta_train_step(self, tasks: List[Tuple[torch.Tensor, ...]]) -> float:
        meta_loss = 0.0
        for support_x, support_y, query_x, query_y in tasks:
            adapted_model = self.inner_update(self.model, support_x, support_y)
            pred = adapted_model(query_x)
            meta_loss += self.criterion(pred, query_y)
        meta_loss = meta_loss / len(tasks)
        self.outer_update(meta_loss)
        return meta_loss.item()

    def meta_train(self, task_generator, num_epochs: int = 100, tasks_per_epoch: int = 10, k_shot: int = 5) -> Dict:
        losses = []
        for epoch in range(num_epochs):
            tasks = task_generator.sample_tasks(tasks_per_epoch, k_shot)
            losses.append(self.meta_train_step(tasks))
            if (epoch + 1) % 5 == 0:
                logger.info(f"Epoch {epoch + 1}/{num_epochs}: Meta Loss={losses[-1]:.4f}")
        return {"losses": losses, "final_loss": losses[-1]}

    def adapt(self, support_x, support_y, steps: int = 5) -> _AdaptedModel:
        """Adapt model to new task"""
        adapted = {name: p.clone() for name, p in self.model.named_parameters()}
        for _ in range(steps):
            loss = self.criterion(functional_call(self.model, adapted, (support_x,)), support_y)
            grads = torch.autograd.grad(loss, list(adapted.values()), create_graph=True)
            adapted = {name: p - self.inner_lr * g for (name, p), g in zip(adapted.items(), grads)}
        return _AdaptedModel(self.model, adapted)

    def predict(self, model, x: torch.Tensor) -> torch.Tensor:
        model.eval()
        with torch.no_grad():
            return model(x)


class FewShotLearner:
    """Few-Shot Learning for Logistics Tasks"""

    def __init__(self, maml: MAML):
        self.maml = maml

    def few_shot_predict(self, support_x, support_y, query_x, steps: int = 5) -> torch.Tensor:
        adapted_model = self.maml.adapt(support_x, support_y, steps)
        return self.maml.predict(adapted_model, query_x)


class TaskGenerator:
    """Task generator for meta-learning: each task is a random linear route cost function."""

    def __init__(self, num_tasks: int = 1000, input_dim: int = 64):
        self.input_dim = input_dim
        self.tasks = [{"weights": torch.randn(input_dim, 1), "bias": torch.randn(1), "task_id": i}
                      for i in range(num_tasks)]

    def sample_task(self, k_shot: int = 5):
        task = self.tasks[int(torch.randint(len(self.tasks), (1,)))]
        w, b = task["weights"], task["bias"]
        support_x = torch.randn(k_shot, self.input_dim)
        query_x = torch.randn(10, self.input_dim)
        support_y = support_x @ w + b + torch.randn(k_shot, 1) * 0.1
        query_y = query_x @ w + b + torch.randn(10, 1) * 0.1
        return support_x, support_y, query_x, query_y

    def sample_tasks(self, num_tasks: int, k_shot: int = 5) -> List[Tuple]:
        return [self.sample_task(k_shot) for _ in range(num_tasks)]


task_generator = TaskGenerator(num_tasks=200, input_dim=16)
model = MAMLModel(input_dim=16, hidden_dim=32, output_dim=1, num_layers=2)
maml = MAML(model, inner_lr=0.01, outer_lr=1e-3, device="cpu")
history = maml.meta_train(task_generator, num_epochs=10, tasks_per_epoch=4, k_shot=5)

learner = FewShotLearner(maml)
sx, sy, qx, qy = task_generator.sample_task(k_shot=5)
pred = learner.few_shot_predict(sx, sy, qx, steps=3)
logger.info(f"final meta loss {history['final_loss']:.4f}; few-shot query MSE {((pred - qy) ** 2).mean():.4f}")
