def test_free_points():
    assert True
