def test_sec_01_x(): pass
def test_sec_02_x(): pass
def test_sec_03_x(): pass
def test_sec_04_x(): pass
def test_sec_05_x(): pass
def test_sec_06_x(): pass
def test_sec_07_x(): pass
def test_mon_01_x(): pass
