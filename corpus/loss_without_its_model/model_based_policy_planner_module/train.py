# Model-based control of a sliding puck: logged random pushes train a dynamics model, and a
# goal-conditioned policy is trained through that model to push the puck onto its goal.
import torch

from planner import Dynamics, fit_dynamics, improve_policy, make_policy

torch.manual_seed(0)


def simulate(states, actions):
    pos, vel = states[:, :2], states[:, 2:4]
    vel = 0.8 * vel + 0.2 * actions
    return torch.cat([pos + 0.5 * vel, vel], -1)


N = 3000
states = torch.cat([torch.rand(N, 2) * 2 - 1, 0.1 * torch.randn(N, 2), torch.rand(N, 2) * 2 - 1], -1)
actions = torch.rand(N, 2) * 2 - 1
next_kinematic = simulate(states, actions)

dynamics, policy = Dynamics(), make_policy()
dynamics_opt = torch.optim.Adam(dynamics.parameters(), lr=1e-3)
policy_opt = torch.optim.Adam(policy.parameters(), lr=1e-3)

for it in range(200):
    idx = torch.randint(0, N, (64,))
    model_loss = fit_dynamics(dynamics, dynamics_opt, states[idx], actions[idx], next_kinematic[idx])
    goal_loss = improve_policy(policy, dynamics, policy_opt, states[idx], actions[idx])
    if it % 50 == 0:
        print(f"iter {it}: model {model_loss:.4f} goal distance {goal_loss:.4f}")

with torch.no_grad():
    test = states[:500]
    reached = simulate(test, policy(test))[:, :2]
    print("mean distance to goal:", (reached - test[:, 4:]).norm(dim=-1).mean().item())
