"""Pooling helpers shared by the set encoders: sums of rows by segment id."""
import torch


def segment_sum(features, segment, num_segments):
    out = features.new_zeros(num_segments, features.shape[1])
    return out.scatter_add(0, segment[:, None].expand_as(features), features)
