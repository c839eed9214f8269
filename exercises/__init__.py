# Generated from solutions/__init__.py by `dlgrade stubs`; do not edit it by hand in the course
# repository: change the solution and run `dlgrade stubs` again. (Students: this is your
# exercise; replace each `raise NotImplementedError(...)` with your code.)
"""Deep Learning from Scratch course exercises: numpy building blocks of a neural network.

How the parts fit (same names and signatures as the book):

- ``functions``: activations and losses (sigmoid, softmax, sum_squared_error,
  cross_entropy_error).
- ``gradient``: central-difference derivatives and gradient descent.
- ``layers``: computational-graph layers with ``forward`` / ``backward``
  (MulLayer, AddLayer, Relu, Sigmoid, Affine, SoftmaxWithLoss).
- ``two_layer_net``: ``TwoLayerNet``, Affine -> Relu -> Affine -> SoftmaxWithLoss,
  with both numerical and backprop gradients.
- ``optimizer``: SGD, Momentum, AdaGrad, Adam, which update the network's
  parameter arrays in place.

``solutions/`` is the reference implementation. ``exercises/`` holds the student
stubs generated from it by ``dlgrade stubs``: every part marked as a solution is
replaced by ``raise NotImplementedError``.
"""
