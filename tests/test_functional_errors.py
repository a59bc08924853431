"""User mistakes at the functional API and the layers built on it: each is an error that names the problem and
the expected form, raised before any NumPy ufunc sees the data (no AxisError or UFuncTypeError from deep inside,
and no silent float64 result from integer input)."""
import numpy as np
import pytest

import minitransformer as mt
import minitransformer.functional as F
from minitransformer import nn

INTS = np.array([[1, 2, 3], [4, 5, 6]])


@pytest.mark.parametrize("name, call", [
    ("softmax", lambda x: F.softmax(x)),
    ("log_softmax", lambda x: F.log_softmax(x)),
    ("gelu", lambda x: F.gelu(x)),
    ("layer_norm", lambda x: F.layer_norm(x, 3)),
    ("cross_entropy", lambda x: F.cross_entropy(x, np.array([0, 1]))),
    ("linear", lambda x: F.linear(x, np.ones((2, 3), np.float32))),
    ("scaled_dot_product_attention", lambda x: F.scaled_dot_product_attention(x, x, x)),
])
def test_integer_input_is_refused_with_the_conversion_to_make(name, call):
    with pytest.raises(TypeError, match=rf"{name}: needs a floating-point tensor, got dtype int64; convert it "
                                        r"with \.astype\('float32'\)"):
        call(mt.tensor(INTS))


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
@pytest.mark.parametrize("axis", [2, -3])
def test_softmax_axis_out_of_range_is_named(fn, axis):
    with pytest.raises(ValueError, match=rf"axis {axis} is out of range for a tensor of shape \(2, 3\) "
                                         r"\(expected an int in -2\.\.1\)"):
        fn(mt.ones(2, 3), axis=axis)


def test_linear_shapes_and_dtypes():
    layer = nn.Linear(3, 2)
    with pytest.raises(ValueError, match=r"linear: needs input \(\.\.\., in_features\) and weight \(out_features, "
                                         r"in_features\), got shapes \(\) and \(2, 3\)"):
        layer(mt.tensor(1.0))
    with pytest.raises(ValueError, match=r"input of shape \(4, 5\) has 5 features but the weight of shape \(2, 3\) "
                                         r"expects 3 \(weight is \(out, in\)\)"):
        layer(mt.ones(4, 5))
    # a float64 array into a float32 layer would otherwise run the rest of the model in float64
    with pytest.raises(TypeError, match=r"input has dtype float64 but the weight has dtype float32; convert the "
                                        r"input with \.astype\('float32'\)"):
        layer(np.ones((4, 3)))
    x = np.ones((4, 3))
    np.testing.assert_allclose(layer.double()(x).numpy(), x @ layer.weight.numpy().T + layer.bias.numpy())


def test_attention_masks_in_the_wrong_convention_point_to_padding_mask():
    """The functional API and MultiHeadAttention take a boolean keep-mask broadcastable to (B, H, Tq, Tk); a
    tokenizer's (B, T) 0/1 attention_mask is the other convention, converted by F.padding_mask."""
    mha = nn.MultiHeadAttention(8, 2)
    x = mt.randn(2, 3, 8)
    attention_mask = np.array([[1, 1, 0], [1, 1, 1]])
    with pytest.raises(TypeError, match=r"boolean keep-mask \(True = attend\), got dtype int64; a \(B, T\) "
                                        r"attention_mask .* F\.padding_mask\(attention_mask\)"):
        mha(x, mask=attention_mask)
    with pytest.raises(ValueError, match=r"mask of shape \(2, 3\) does not broadcast to the scores' shape "
                                         r"\(2, 2, 3, 3\) \(B, H, Tq, Tk\); a \(B, T\) attention_mask"):
        mha(x, mask=attention_mask.astype(bool))
    _, weights = mha(x, mask=F.padding_mask(attention_mask), return_weights=True)  # the documented conversion
    assert np.all(weights.numpy()[0, :, :, 2] == 0)
