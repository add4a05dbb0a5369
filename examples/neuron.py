"""One logistic neuron with squared error: the engine's gradient beside the hand-derived one.

Run it: ``python examples/neuron.py``.
"""

from autograd import Value

w = Value(0.5, label="w")
b = Value(-0.2, label="b")
x, target = 1.5, 1.0

net = w * x + b
net.label = "net"
out = net.sigmoid()
out.label = "out"
E = 0.5 * (target - out) ** 2
E.label = "E"
E.backward()

# By the chain rule: ∂E/∂w = ∂E/∂out · ∂out/∂net · ∂net/∂w = (out − target) · out(1 − out) · x
hand_w = (out.data - target) * out.data * (1 - out.data) * x
hand_b = (out.data - target) * out.data * (1 - out.data) * 1.0

print(f"E        = {E.data:.12f}")
print(f"∂E/∂w    = {w.grad:.12f}   engine")
print(f"           {hand_w:.12f}   (out − target)·out·(1 − out)·x")
print(f"∂E/∂b    = {b.grad:.12f}   engine")
print(f"           {hand_b:.12f}   (out − target)·out·(1 − out)")
assert abs(w.grad - hand_w) < 1e-12 and abs(b.grad - hand_b) < 1e-12
print("The engine and the hand derivation agree.")
