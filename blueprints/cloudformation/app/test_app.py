def test_app_01_x(): pass
def test_app_02_x(): pass
def test_app_03_x(): pass
def test_app_04_x(): pass
