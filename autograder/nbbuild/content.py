"""What the three course notebooks say and show, part by part (see :mod:`.build` for the parts).

Only prose and demo code live here: answer cells come from ``solutions/`` and test cells
from the grading engine's checks. Demo cells wrap their work in a function, so the only
global names they leave behind are that function's and the result they show; they run
warning-free on the reference solutions (a test executes every notebook).
"""
from autograder.nbbuild.build import Assignment, Demo, Exercise, Given, Markdown, Setup

_HOW_TO_WORK = r"""
**How to work.** Each exercise has an answer cell where `# YOUR CODE HERE` and
`raise NotImplementedError()` stand for your code: replace those two lines and run the
cell. The cells below it are its tests; run them too. A passing test prints nothing; a
failing one says what was called, what was expected and what your code returned, often
with a hint about the likely mistake. They are the same checks, worth the same points, as
the course grader (`dlgrade grade`). Some tests are hidden: their cells stay empty until
your work is graded.

Cells that start with `# Given` are provided: run them, do not change them. Keep the
book's names and signatures, and keep experiments out of the answer cells (add a new cell
for them). Before you submit, run *Kernel → Restart & Run All* and check that every test
cell passes.
"""

# ----------------------------------------------------------------------------- ps1

PS1 = Assignment("ps1_losses_gradients", (
    Markdown(r"""
# Problem set 1: loss functions and gradients

A neural network is trained by measuring how wrong its output is (a *loss function*) and
nudging every parameter against the gradient of that loss. In this notebook you write the
pieces for that with numpy: two activation functions, two loss functions, numerical
derivatives, and gradient descent. Chapters 3 and 4 of *Deep Learning from Scratch* cover
the ideas.
"""),
    Markdown(_HOW_TO_WORK),
    Setup(),
    Exercise("functions.sigmoid", r"""
## 1. The sigmoid function

$$\sigma(x) = \frac{1}{1 + e^{-x}}$$

`sigmoid(x)` works elementwise: `x` is a number or an array of any shape, and the result
has the same shape, with every value between 0 and 1.

**Common pitfall.** For a large negative `x` such as `-1000`, `np.exp(-x)` overflows:
numpy returns `inf` and prints a `RuntimeWarning` (the result, `1 / inf = 0`, happens to
be right). Find a form of the formula in which `np.exp` never sees a large positive number
(`np.logaddexp` helps, or treat negative and positive inputs separately), so that your
sigmoid stays quiet for any input.
"""),
    Exercise("functions.softmax", r"""
## 2. Softmax

Softmax turns a vector of scores $a_1, \dots, a_C$ into probabilities:

$$y_k = \frac{e^{a_k}}{\sum_{i=1}^{C} e^{a_i}}$$

**Shapes.** `x` is either one sample of shape `(C,)` or a batch of shape `(N, C)`, one
sample per row. The result has the shape of `x`, and each row sums to 1.

**Common pitfalls.**
- `np.exp(1000)` overflows. Subtracting any constant $m$ from every score does not change
  the result, so subtract the largest score first.
- With a batch, the maximum and the sum belong to each *row*: use `axis=-1` with
  `keepdims=True`, so that the `(N, 1)` result broadcasts against `(N, C)`. A sum over the
  whole batch makes all rows together sum to 1.
- `x -= ...` changes the caller's array; write `x = x - ...`.
"""),
    Exercise("functions.sum_squared_error", r"""
## 3. Sum of squared errors

$$E = \frac{1}{2} \sum_k (y_k - t_k)^2$$

`y` is the network's output and `t` the target (for classification, one-hot), of the same
shape: one sample or a batch. The result is a single number: the sum runs over every
element, and nothing is averaged.

**Common pitfall.** Forgetting the factor $\frac{1}{2}$ (it makes the derivative simply
$y - t$).
"""),
    Exercise("functions.cross_entropy_error", r"""
## 4. Cross-entropy error

For a batch of $N$ samples with one-hot targets $t$:

$$E = -\frac{1}{N} \sum_{n=1}^{N} \sum_{k=1}^{C} t_{nk} \log\left(y_{nk} + 10^{-7}\right)$$

Only the term of the correct class survives the inner sum. With integer labels
$t_n \in \{0, \dots, C-1\}$ this is $E = -\frac{1}{N}\sum_n \log(y_{n, t_n} + 10^{-7})$.

**Shapes.** `y` holds probabilities, `(C,)` for one sample or `(N, C)` for a batch. `t` is
either one-hot of the same shape as `y`, or labels of shape `()` (one sample) or `(N,)`.
The given helper `_check_y_t` has already checked the arguments.

**Common pitfalls.**
- $\log 0 = -\infty$: the tiny $10^{-7}$ goes *inside* the logarithm.
- Divide by the batch size $N$ (the number of rows), not by the number of elements.
- Treat a single sample as a batch of one (reshape `y` and `t`), then one code path handles
  both cases. For labels, `y[np.arange(N), t]` picks each row's correct-class probability.
"""),
    Markdown(r"""
## Numerical differentiation

The next three exercises compute derivatives numerically. They are slow, but they need
nothing except the function itself, which makes them the reference against which every
backpropagation gradient in this course is checked.
"""),
    Exercise("gradient.numerical_diff", r"""
## 5. The derivative of a one-variable function

Use the *central difference* with $h = 10^{-4}$:

$$f'(x) \approx \frac{f(x + h) - f(x - h)}{2h}$$

`f` takes a number and returns a number; `numerical_diff(f, x)` returns the approximate
derivative at `x`.

**Common pitfalls.** The forward difference $\frac{f(x+h) - f(x)}{h}$ is less accurate
(its error shrinks like $h$, the central one's like $h^2$). And a far smaller $h$ is not
better: with $h = 10^{-50}$, `x + h == x` in floating point and the difference is 0.
"""),
    Exercise("gradient.numerical_gradient", r"""
## 6. The gradient of a function of an array

For $f$ that maps an array $x$ of any shape to a number, the gradient has the shape of
$x$; each element is a central difference in which only that element moves:

$$\frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}, \qquad h = 10^{-4}$$

`f` is called with the array `x` itself, so change `x[idx]` in place, call `f(x)`, and put
the old value back before moving on (the two-layer network later relies on this: its
layers hold the very arrays being perturbed).

**Common pitfalls.**
- Loop over every element of an array of *any* shape: `np.nditer(x, flags=["multi_index"])`
  gives `it.multi_index`, or use `np.ndindex(x.shape)`. A loop over `range(x.size)` with
  `x[i]` only works for 1-D arrays.
- Restore `x[idx]` after each element, otherwise the following elements see a shifted `x`.
- Store `tmp_val = x[idx]` *before* changing `x[idx]` (for a float array it is a copy).
"""),
    Exercise("gradient.gradient_descent", r"""
## 7. Gradient descent

Starting from `init_x`, take `step_num` steps downhill:

$$x \leftarrow x - \eta \, \nabla f(x)$$

where $\eta$ is the learning rate `lr` and $\nabla f$ is computed with your
`numerical_gradient`. Return the final `x`, shaped like `init_x`.

**Common pitfall.** `init_x` belongs to the caller and must not change: start from a copy.
(When your work is graded, this exercise uses the grader's `numerical_gradient`, so a
mistake there costs points only once.)

The cell after the tests draws the path that gradient descent takes on
$f(x_0, x_1) = x_0^2 + x_1^2$ from $(-3, 4)$: each step moves against the gradient, straight
towards the minimum at the origin, with steps that shrink as the slope flattens.
"""),
    Demo("gradient-descent-path", """
Given: the path of gradient descent on f(x0, x1) = x0**2 + x1**2, computed with your
numerical_gradient, and the end point your gradient_descent reaches.
""", r'''
def show_gradient_descent_path(start=(-3.0, 4.0), lr=0.1, step_num=20):
    from IPython.display import display

    def f(x):
        return x[0] ** 2 + x[1] ** 2

    x = np.array(start)
    path = [x.copy()]
    for _ in range(step_num):
        x = x - lr * numerical_gradient(f, x)
        path.append(x.copy())
    path = np.array(path)

    grid = np.linspace(-4.5, 4.5, 91)
    g0, g1 = np.meshgrid(grid, grid)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.contour(g0, g1, g0 ** 2 + g1 ** 2, levels=[0.5, 2, 4.5, 8, 12.5, 18], colors="0.75")
    ax.plot(path[:, 0], path[:, 1], "o-", markersize=4)
    ax.plot([0], [0], "k+", markersize=12)
    ax.set(xlabel="$x_0$", ylabel="$x_1$", aspect="equal",
           title=_p("gradient descent: lr = {lr}, {steps} steps").format(lr=lr, steps=step_num))
    display(fig)
    plt.close(fig)
    end = gradient_descent(f, np.array(start), lr=lr, step_num=step_num)
    print(f"gradient_descent(f, {np.array(start)}, lr={lr}, step_num={step_num}) = {end}")


show_gradient_descent_path()
'''),
))

# ----------------------------------------------------------------------------- ps2

PS2 = Assignment("ps2_backprop_layers", (
    Markdown(r"""
# Problem set 2: backpropagation through layers

A *computational graph* writes a calculation as nodes, each doing one small step. Going
forward, every node computes its output from its inputs. Going backward, every node
receives $\frac{\partial L}{\partial \text{out}}$, the gradient of the final result $L$ with
respect to its output (called `dout`), and passes on the gradient with respect to each
input. The *chain rule* says that this is just `dout` times the node's own local derivative:

$$\frac{\partial L}{\partial x} = \frac{\partial L}{\partial \text{out}} \cdot \frac{\partial \text{out}}{\partial x}$$

So each node only needs to know its own derivative and to remember, during `forward`, what
`backward` will need. Chained together, the nodes compute the gradient of the whole graph
in one backward sweep. In this notebook every node is a *layer* with `forward` and
`backward(dout)` methods (chapter 5 of *Deep Learning from Scratch*).
"""),
    Markdown(_HOW_TO_WORK),
    Setup(),
    Given("functions", ("sigmoid", "softmax", "cross_entropy_error"),
          comment="Given: reference versions of problem set 1's functions, used by the layers below."),
    Exercise("layers.MulLayer", r"""
## 1. A multiplication node

`out = x * y`. Its local derivatives are $\frac{\partial\, \text{out}}{\partial x} = y$ and
$\frac{\partial\, \text{out}}{\partial y} = x$, so the backward pass returns
`dout * y` and `dout * x`: each input's gradient uses the *other* input, which `forward`
must remember.

**Shapes.** `x` and `y` are numbers or arrays of the same shape; `dout` has the shape of
`out`, and `backward` returns the pair `(dx, dy)`.
"""),
    Exercise("layers.AddLayer", r"""
## 2. An addition node

`out = x + y`. Both local derivatives are 1, so `backward` passes `dout` on to both inputs
unchanged, and `forward` needs to remember nothing.
"""),
    Markdown(r"""
### Try it: shopping for fruit

Two apples at 100 each and three oranges at 150 each, with a consumption tax of 10%: the
graph multiplies, adds and multiplies again. The backward pass tells how much the final
price changes per unit change of each input; for instance, one more apple adds
$100 \times 1.1 = 110$.
"""),
    Demo("shopping", "Given: the fruit-shopping graph, built from your MulLayer and AddLayer.", r'''
def shopping(apple=100.0, apple_num=2.0, orange=150.0, orange_num=3.0, tax=1.1):
    mul_apple, mul_orange, add_fruit, mul_tax = MulLayer(), MulLayer(), AddLayer(), MulLayer()
    # forward
    apple_price = mul_apple.forward(apple, apple_num)
    orange_price = mul_orange.forward(orange, orange_num)
    all_price = add_fruit.forward(apple_price, orange_price)
    price = mul_tax.forward(all_price, tax)
    # backward, starting from d(price)/d(price) = 1
    dall_price, dtax = mul_tax.backward(1.0)
    dapple_price, dorange_price = add_fruit.backward(dall_price)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    dorange, dorange_num = mul_orange.backward(dorange_price)
    expected = _t("expected")
    for name, value, want in (("price", price, 715.0), ("dapple", dapple, 2.2), ("dapple_num", dapple_num, 110.0),
                              ("dorange", dorange, 3.3), ("dorange_num", dorange_num, 165.0), ("dtax", dtax, 650.0)):
        print(f"{name:11s} {value:8.2f}   ({expected} {want:.2f})")


shopping()
'''),
    Exercise("layers.Relu", r"""
## 3. ReLU

$$\text{out} = \max(0, x), \qquad \frac{\partial\, \text{out}}{\partial x} = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}$$

`forward` remembers where the input was not positive (`self.mask = (x <= 0)`); `backward`
lets `dout` through everywhere else and blocks it (sets 0) there.

**Shapes.** `x` is an array of any shape; `out`, `dout` and `dx` have the same shape.

**Common pitfall.** `out = x` followed by `out[self.mask] = 0` also zeroes the caller's `x`
(both names refer to one array): work on a copy. The same holds for `dout` in `backward`.
"""),
    Exercise("layers.Sigmoid", r"""
## 4. Sigmoid

$$\text{out} = \sigma(x), \qquad \frac{\partial\, \text{out}}{\partial x} = \text{out}\,(1 - \text{out})$$

The derivative needs only the output, so `forward` remembers `out` (use `sigmoid` from
above) and `backward` returns `dout * out * (1 - out)`. Shapes as for ReLU.
"""),
    Exercise("layers.Affine", r"""
## 5. Affine (fully connected) layer

$$\text{out} = x \cdot W + b$$

**Shapes.** `x` is a batch `(N, D)`, `W` is `(D, M)`, `b` is `(M,)` and `out` is `(N, M)`;
`b` is added to every row. Backward, with `dout` of shape `(N, M)`:

$$dx = dout \cdot W^{T} \;(N, D), \qquad dW = x^{T} \cdot dout \;(D, M), \qquad db = \textstyle\sum_{n} dout_n \;(M,)$$

Every gradient has the shape of what it is the gradient of: that is a quick way to find
the right transposes. `backward` stores `self.dW` and `self.db` and returns `dx`.

A sample may also be an image, `x` of shape `(N, 1, 28, 28)`: flatten each sample to
`(N, D)` in `forward` (`x.reshape(x.shape[0], -1)`), remember the original shape, and give
`dx` that shape back in `backward`.

**Common pitfalls.** `db` is the sum over the batch (`axis=0`), not over the outputs.
Keep `W` and `b` as given (no copies): the network updates those very arrays.
"""),
    Exercise("layers.SoftmaxWithLoss", r"""
## 6. Softmax with cross-entropy loss

The output layer of a classifier: softmax turns the scores `x` into probabilities `y`,
and the cross-entropy error compares them with the targets `t`. Combined, the backward pass
is remarkably simple:

$$\frac{\partial L}{\partial x} = \frac{y - t}{N}$$

with `t` one-hot. For integer labels, subtract 1 from each row's correct-class entry
instead.

**Shapes.** Scores `x` are `(N, C)`; `t` is one-hot `(N, C)` or labels `(N,)`; `forward`
returns the loss (a number) and `backward(dout=1)` returns `dx` of shape `(N, C)`. Use the
given `softmax` and `cross_entropy_error`.

**Common pitfalls.** Divide by the batch size $N$, as the loss does. Multiply by `dout`
(it is 1 when the loss is the final output, but need not be). Do not change `self.y` in
place while computing `dx` (a second `backward` call would go wrong).
"""),
    Markdown(r"""
### Check your gradients yourself

Every `backward` can be checked against a numerical gradient of its own `forward`: for
any fixed `dout`, `backward(dout)` must be the gradient of `np.sum(forward(x) * dout)`. The
cell below does that for your layers and prints the relative error; anything much above
$10^{-6}$ means `backward` and `forward` disagree. (The graded tests do the same, and also
compare with the reference answers.)
"""),
    Demo("layer-gradient-check",
         "Given: compare each of your backward passes with a numerical gradient of your forward.", r'''
def check_layer_gradients(seed=0):
    rng = np.random.default_rng(seed)
    ok, check_this = _t("ok"), _t("<-- check this")

    def numerical_grad(f, x, h=1e-5):
        """Central-difference gradient of the number f() with respect to the array x."""
        grad = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            old = x[idx]
            x[idx] = old + h
            plus = f()
            x[idx] = old - h
            minus = f()
            x[idx] = old
            grad[idx] = (plus - minus) / (2 * h)
        return grad

    def report(name, analytic, numeric, of):
        """One line: the relative error of the analytic gradient of array `of`, or why there is none."""
        if analytic is not None:
            try:
                analytic = np.asarray(analytic, dtype=float)
            except (TypeError, ValueError):
                analytic = None
        if analytic is None or analytic.shape != numeric.shape:
            # A gradient has the shape of its array: a transposed dW is (M, D) where W is (D, M).
            if analytic is None:
                problem = _t("{name} is not an array, but {of} has shape {shape}")
            else:
                problem = _t("{name} has shape {got}, but {of} has shape {shape}")
            problem = problem.format(name=name.split(": ")[-1], got=getattr(analytic, "shape", None), of=of,
                                     shape=numeric.shape)
            print(f"{name:28s} {problem}   {check_this}")
            return
        error = np.max(np.abs(analytic - numeric) / np.maximum(1e-8, np.abs(analytic) + np.abs(numeric)))
        label = _t("relative error")
        print(f"{name:28s} {label} {error:8.1e}   {ok if error < 1e-6 else check_this}")

    x = rng.normal(size=(4, 5))
    x[np.abs(x) < 0.1] += 0.2  # stay away from ReLU's kink at 0
    dout = rng.normal(size=(4, 5))
    for name, layer in (("Relu", Relu()), ("Sigmoid", Sigmoid())):
        layer.forward(x.copy())
        dx = layer.backward(dout.copy())
        report(f"{name}.backward: dx", dx, numerical_grad(lambda: np.sum(layer.forward(x.copy()) * dout), x), "x")

    W, b = rng.normal(size=(5, 3)), rng.normal(size=3)
    x, dout = rng.normal(size=(4, 5)), rng.normal(size=(4, 3))
    affine = Affine(W, b)
    affine.forward(x)
    dx = affine.backward(dout)
    dW, db = affine.dW, affine.db
    loss = lambda: np.sum(affine.forward(x) * dout)  # noqa: E731
    report("Affine.backward: dx", dx, numerical_grad(loss, x), "x")
    report("Affine.backward: dW", dW, numerical_grad(loss, W), "W")
    report("Affine.backward: db", db, numerical_grad(loss, b), "b")

    scores, labels = rng.normal(size=(4, 3)), np.array([0, 2, 1, 2])
    last = SoftmaxWithLoss()
    last.forward(scores, labels)
    dx = last.backward(1)
    report("SoftmaxWithLoss.backward: dx", dx, numerical_grad(lambda: last.forward(scores, labels), scores), "x")


check_layer_gradients()
'''),
))

# ----------------------------------------------------------------------------- ps3

PS3 = Assignment("ps3_two_layer_net", (
    Markdown(r"""
# Problem set 3: a two-layer network that learns MNIST

Now the layers come together: a network `Affine → ReLU → Affine → SoftmaxWithLoss` whose
gradient comes from backpropagation (checked against a numerical gradient), optimizers
that use that gradient to update the weights, and training on the MNIST handwritten
digits, with learning curves. Chapters 5 and 6 of *Deep Learning from Scratch*.

The layers and the numerical gradient are given below as reference code from the earlier
problem sets, so this notebook does not depend on your earlier answers.
"""),
    Markdown(_HOW_TO_WORK),
    Setup(),
    Given("functions", ("softmax", "cross_entropy_error"),
          comment="Given: reference versions of problem set 1's functions."),
    Given("gradient", ("numerical_gradient",),
          comment="Given: the reference numerical_gradient of problem set 1."),
    Given("layers", ("Relu", "Affine", "SoftmaxWithLoss"),
          comment="Given: reference versions of problem set 2's layers."),
    Exercise("two_layer_net.TwoLayerNet", r"""
## 1. TwoLayerNet

**Parameters and shapes** (input size $D$, hidden size $H$, $C$ classes, batch size $N$):

| name | shape | initial value |
|---|---|---|
| `params['W1']` | `(D, H)` | `weight_init_std * np.random.randn(D, H)` |
| `params['b1']` | `(H,)` | zeros |
| `params['W2']` | `(H, C)` | `weight_init_std * np.random.randn(H, C)` |
| `params['b2']` | `(C,)` | zeros |

`layers` is an `OrderedDict` `'Affine1'`, `'Relu1'`, `'Affine2'`, and `lastLayer` a
`SoftmaxWithLoss`. `predict(x)` runs `x` of shape `(N, D)` through `layers` and returns the
scores `(N, C)` (before softmax); `loss(x, t)` adds `lastLayer`; `accuracy(x, t)` is the
fraction of rows whose highest score is the correct class. `gradient(x, t)` runs the loss
forward, then `backward` from `lastLayer` through the layers in reverse order, and returns
`{'W1': ..., 'b1': ..., 'W2': ..., 'b2': ...}` from the Affine layers' `dW` and `db`;
`numerical_gradient(x, t)` returns the same dict computed numerically (slow, for checking).

**Common pitfall.** The Affine layers must hold the *same* arrays as `params` (pass
`self.params['W1']` itself, no copy): the optimizer updates `params`, and the layers must
see it. `t` may be one-hot `(N, C)` or labels `(N,)`; handle both in `accuracy`.
"""),
    Markdown(r"""
### The gradient check

Backpropagation is fast but easy to get subtly wrong; the numerical gradient is slow but
hard to get wrong. On a small network they must agree to many digits. Run the cell below:
every mean difference should be tiny, around $10^{-8}$ (a mistake typically shows
as $10^{-3}$ or more).
"""),
    Demo("two-layer-net-gradient-check",
         "Given: compare your backprop gradient with the numerical gradient on a small network.", r'''
def check_two_layer_net_gradient(seed=0):
    np.random.seed(seed)  # TwoLayerNet draws its initial weights with np.random.randn
    net = TwoLayerNet(input_size=6, hidden_size=5, output_size=3, weight_init_std=0.1)
    x, t = np.random.randn(4, 6), np.array([0, 2, 1, 1])
    grad_numerical = net.numerical_gradient(x, t)
    grad_backprop = net.gradient(x, t)
    ok, check_this = _t("ok"), _t("<-- check this")
    for key in ("W1", "b1", "W2", "b2"):
        diff = np.mean(np.abs(grad_backprop[key] - grad_numerical[key]))
        print(f"{key}: mean |backprop - numerical| = {diff:.1e}   {ok if diff < 1e-6 else check_this}")


check_two_layer_net_gradient()
'''),
    Markdown(r"""
## Optimizers

An optimizer turns gradients into parameter updates. `update(params, grads)` receives the
network's `params` dict and the dict returned by `gradient` (same keys and shapes) and
changes every parameter array **in place**: `params[key] -= ...`. Writing
`params[key] = params[key] - ...` would put a new array into the dict while the layers keep
computing with the old one, and the network would never learn.
"""),
    Exercise("optimizer.SGD", r"""
## 2. SGD

$$W \leftarrow W - \eta \, \frac{\partial L}{\partial W}$$

for every parameter, with learning rate $\eta$ = `lr` (default 0.01).
"""),
    Exercise("optimizer.Momentum", r"""
## 3. Momentum

$$v \leftarrow \alpha v - \eta \, \frac{\partial L}{\partial W}, \qquad W \leftarrow W + v$$

with `momentum` $\alpha$ (default 0.9) and `lr` $\eta$ (default 0.01). The velocity $v$ of
each parameter starts at zero and is **kept between calls**: create `self.v` (a dict of
zeros shaped like `params`) on the first call only.

**Common pitfall.** Recreating `v` at every call turns Momentum into plain SGD.
"""),
    Exercise("optimizer.AdaGrad", r"""
## 4. AdaGrad (bonus)

Each parameter element gets its own step size, which shrinks as its squared gradients add
up:

$$h \leftarrow h + \frac{\partial L}{\partial W} \odot \frac{\partial L}{\partial W}, \qquad W \leftarrow W - \eta \, \frac{1}{\sqrt{h} + 10^{-7}} \odot \frac{\partial L}{\partial W}$$

$h$ starts at zero and is kept between calls; the $10^{-7}$ avoids dividing by zero.
"""),
    Exercise("optimizer.Adam", r"""
## 5. Adam (bonus)

Momentum and per-element step sizes together, as the book writes it. With $t$ the number
of updates so far (count it in `self.iter`, starting with 1 at the first update):

$$\eta_t = \eta \, \frac{\sqrt{1 - \beta_2^{\,t}}}{1 - \beta_1^{\,t}}, \quad m \leftarrow m + (1 - \beta_1)(g - m), \quad v \leftarrow v + (1 - \beta_2)(g^2 - v), \quad W \leftarrow W - \eta_t \, \frac{m}{\sqrt{v} + 10^{-7}}$$

where $g$ is the gradient; $m$ and $v$ start at zero and are kept between calls.
"""),
    Markdown(r"""
## Training on MNIST

The cell below trains your `TwoLayerNet(784, 50, 10)` with your `Momentum(lr=0.1)` on
mini-batches of 100 images for 1,200 iterations (two epochs: one epoch is one pass over the
60,000 training images). Every 100 iterations it measures the accuracy on the 10,000 test
images and on 10,000 training images. It takes about ten seconds.

The images come from `mnist_data.load_mnist` (the book's `load_mnist`, same arguments). It
reads the four MNIST files from the folder named by the environment variable
`MNIST_DATA_DIR`, or downloads them when that is not set.
"""),
    Demo("train-mnist", "Given: train your network with your optimizer and record its learning curves.", r'''
def train_on_mnist(iters_num=1200, batch_size=100, lr=0.1, eval_every=100, seed=0):
    from mnist_data import load_mnist

    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, one_hot_label=True)
    x_eval, t_eval = x_train[:10000], t_train[:10000]  # train accuracy on a fixed slice: faster
    train_size = x_train.shape[0]
    rng = np.random.default_rng(seed)
    np.random.seed(seed)  # TwoLayerNet draws its initial weights with np.random.randn
    net = TwoLayerNet(input_size=784, hidden_size=50, output_size=10)
    optimizer = Momentum(lr=lr)
    history = {"loss": [], "epoch": [], "train_acc": [], "test_acc": []}

    def evaluate(i):
        history["epoch"].append(i * batch_size / train_size)
        history["train_acc"].append(net.accuracy(x_eval, t_eval))
        history["test_acc"].append(net.accuracy(x_test, t_test))

    evaluate(0)
    for i in range(1, iters_num + 1):
        batch = rng.choice(train_size, batch_size)
        x_batch, t_batch = x_train[batch], t_train[batch]
        grads = net.gradient(x_batch, t_batch)
        optimizer.update(net.params, grads)
        history["loss"].append(net.loss(x_batch, t_batch))
        if i % eval_every == 0:
            evaluate(i)
    done = _t("after {iters} iterations ({epochs:.1f} epochs): train accuracy {train:.4f}, test accuracy {test:.4f}")
    print(done.format(iters=iters_num, epochs=history["epoch"][-1], train=history["train_acc"][-1],
                      test=history["test_acc"][-1]))
    return history


history = train_on_mnist()
'''),
    Demo("learning-curves", "Given: the learning curves of the training run above.", r'''
def plot_learning_curves(history):
    from IPython.display import display

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    ax_loss.plot(np.arange(1, len(history["loss"]) + 1), history["loss"], linewidth=0.7)
    ax_loss.set(xlabel=_p("iteration"), ylabel=_p("loss"), title=_p("loss per iteration (mini-batch)"))
    ax_acc.plot(history["epoch"], history["train_acc"], "o-", markersize=3, label=_p("train"))
    ax_acc.plot(history["epoch"], history["test_acc"], "s--", markersize=3, label=_p("test"))
    ax_acc.set(xlabel=_p("epoch"), ylabel=_p("accuracy"), ylim=(0, 1), title=_p("accuracy"))
    ax_acc.legend(loc="lower right")
    fig.tight_layout()
    display(fig)
    plt.close(fig)


plot_learning_curves(history)
'''),
    Exercise("mnist", r"""
## 6. The MNIST accuracy gate

The last test trains a fresh `TwoLayerNet(784, 50, 10)` from this notebook with the
grader's own training loop (fixed seed, mini-batches of 100, 1,200 iterations, Momentum
with `lr=0.1` applied in place) and requires a test accuracy of at least 0.95. A correct
`TwoLayerNet` reaches about 0.96. In this notebook the network is built on the given
reference layers above, so the gate tests your `TwoLayerNet`: that its layers share the
arrays in `params`, and that `gradient` returns the layers' `dW` and `db`.
"""),
))

ASSIGNMENT_PARTS = (PS1, PS2, PS3)
