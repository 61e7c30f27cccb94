"""Routing strategies as pure functions: which warehouse ships which part of an order."""
import pytest

from app.blueprints.dispatch.routing import Site, Unroutable, nearness, plan

A, B, C = Site(1, 10, "310115"), Site(2, 20, "440305"), Site(3, 30, "320506")   # Shanghai, Shenzhen, Suzhou


def test_priority_takes_each_line_from_the_first_warehouse_with_stock_and_splits_only_when_short():
    can = {(100, 1): 2, (100, 2): 5, (200, 2): 3}
    assert plan("priority", {100: 4, 200: 1}, [B, A], can).parts == {1: {100: 2}, 2: {100: 2, 200: 1}}


def test_single_warehouse_fill_keeps_the_order_whole_when_one_warehouse_can():
    can = {(100, 1): 5, (200, 2): 5, (100, 3): 5, (200, 3): 5}
    result = plan("single", {100: 2, 200: 2}, [A, B, C], can)
    assert result.parts == {3: {100: 2, 200: 2}} and not result.fallback


def test_single_warehouse_fill_falls_back_to_priority_split_and_says_so():
    can = {(100, 1): 5, (200, 2): 5}
    result = plan("single", {100: 1, 200: 1}, [A, B], can)
    assert result.parts == {1: {100: 1}, 2: {200: 1}} and result.fallback


def test_nearest_prefers_the_same_province_then_the_same_area_over_priority():
    can = {(100, 1): 5, (100, 2): 5, (100, 3): 5}
    assert plan("nearest", {100: 1}, [A, B, C], can, "440106").parts == {2: {100: 1}}      # Guangzhou → Shenzhen
    assert plan("nearest", {100: 1}, [B, C], can, "310101").parts == {3: {100: 1}}        # Shanghai → Suzhou (East)
    assert plan("nearest", {100: 1}, [A, B, C], can, "").parts == {1: {100: 1}}           # unknown: priority
    assert nearness("310115", "310101") == 0 and nearness("320506", "310101") == 1 and nearness("440305", "310101") == 2


def test_split_sends_each_line_whole_to_the_warehouse_holding_most():
    can = {(100, 1): 3, (100, 2): 9, (200, 1): 8, (200, 2): 2, (300, 1): 1, (300, 2): 1}
    result = plan("split", {100: 2, 200: 2, 300: 2}, [A, B], can)
    assert result.parts == {2: {100: 2, 300: 1}, 1: {200: 2, 300: 1}}


def test_an_order_no_warehouse_combination_holds_is_unroutable():
    with pytest.raises(Unroutable):
        plan("priority", {100: 5}, [A, B], {(100, 1): 2, (100, 2): 2})
