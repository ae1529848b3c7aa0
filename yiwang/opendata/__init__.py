"""Open data room (开放数据): the city's public data opened to everyone."""
