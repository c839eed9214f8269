# Generated from autograder/given/util.py by `dlgrade stubs`; do not edit it by hand in the course
# repository. (Students: this is given code, the book's helpers; nothing to write here.)
"""Helpers the book gives with its exercises (its common/util.py): written for this kit.

Nothing here is graded. ``im2col`` / ``col2im`` turn image patches into matrix rows and
back (the convolution layers of chapter 7 use them); ``smooth_curve`` smooths a loss curve
for plotting; ``shuffle_dataset`` shuffles samples and labels together;
``conv_output_size`` is the output height (or width) of a convolution.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def smooth_curve(x):
    """Smooth a 1-D curve (a loss history) for plotting.

    Inputs:
    - x: 1-D sequence of numbers, at least 11 long.

    Returns:
    - y: Array of the same length: x averaged under an 11-point Kaiser window (beta 2),
      with the ends mirrored so they are not pulled towards 0.
    """
    x = np.asarray(x, dtype=float)
    half = 10
    if x.ndim != 1 or x.size <= half:
        raise ValueError(f"smooth_curve needs a 1-D sequence of at least {half + 1} values, got shape {x.shape}")
    front = x[half:0:-1]          # x[10], ..., x[1]: mirrored without the first point
    back = x[:-half - 1:-1]       # x[-1], ..., x[-10]: mirrored with the last point
    window = np.kaiser(half + 1, 2)
    smoothed = np.convolve(window / window.sum(), np.concatenate([front, x, back]), mode="valid")
    return smoothed[5:smoothed.size - 5]


def shuffle_dataset(x, t):
    """Shuffle samples and their labels with one random permutation.

    Inputs:
    - x: Array of N samples (first axis), any number of further axes.
    - t: Array of N labels or one-hot rows.

    Returns:
    - (x, t): New arrays in the same shuffled order.
    """
    order = np.random.permutation(np.shape(x)[0])
    return np.asarray(x)[order], np.asarray(t)[order]


def conv_output_size(input_size, filter_size, stride=1, pad=0):
    """Height (or width) of a convolution's output: (input + 2 * pad - filter) / stride + 1."""
    return (input_size + 2 * pad - filter_size) / stride + 1


def _out_size(size, filter_size, stride, pad):
    return (size + 2 * pad - filter_size) // stride + 1


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """Lay out every filter-sized patch of a batch of images as one row.

    Inputs:
    - input_data: Array of shape (N, C, H, W).
    - filter_h, filter_w: Filter height and width.
    - stride: Step between patches.
    - pad: Zeros added on every side of each image.

    Returns:
    - col: Array of shape (N * out_h * out_w, C * filter_h * filter_w); rows go through
      the images, then output rows, then output columns; a row lists channel by channel
      the filter_h x filter_w patch.
    """
    n, c, h, w = input_data.shape
    out_h, out_w = _out_size(h, filter_h, stride, pad), _out_size(w, filter_w, stride, pad)
    padded = np.pad(input_data, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    patches = sliding_window_view(padded, (filter_h, filter_w), axis=(2, 3))
    patches = patches[:, :, ::stride, ::stride][:, :, :out_h, :out_w]  # (N, C, out_h, out_w, fh, fw)
    return patches.transpose(0, 2, 3, 1, 4, 5).reshape(n * out_h * out_w, -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """The reverse of im2col: add every row's values back onto the pixels it came from.

    Inputs:
    - col: Array of shape (N * out_h * out_w, C * filter_h * filter_w), as from im2col.
    - input_shape: (N, C, H, W) of the images.
    - filter_h, filter_w, stride, pad: As for im2col.

    Returns:
    - img: Array of shape (N, C, H, W). A pixel covered by several patches receives the
      sum of their values (what the backward pass of a convolution needs).
    """
    n, c, h, w = input_shape
    out_h, out_w = _out_size(h, filter_h, stride, pad), _out_size(w, filter_w, stride, pad)
    blocks = col.reshape(n, out_h, out_w, c, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    # Room for the last stride's overhang, cut off with the padding at the end.
    img = np.zeros((n, c, h + 2 * pad + stride - 1, w + 2 * pad + stride - 1), dtype=col.dtype)
    for dy in range(filter_h):
        rows = slice(dy, dy + stride * out_h, stride)
        for dx in range(filter_w):
            img[:, :, rows, slice(dx, dx + stride * out_w, stride)] += blocks[:, :, dy, dx]
    return img[:, :, pad:h + pad, pad:w + pad]
