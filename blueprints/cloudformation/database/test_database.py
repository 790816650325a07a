def test_db_01_x(): pass
def test_db_02_x(): pass
def test_db_03_x(): pass
def test_db_04_x(): pass
def test_db_05_x(): pass
def test_db_06_x(): pass
def test_db_07_x(): pass
def test_db_08_x(): pass
