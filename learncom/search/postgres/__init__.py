"""The PostgreSQL search engine: documents in the database itself (`schema.py`), the search box
language compiled to a tsquery (`query.py`), and the engine (`backend.py`). For deployments with
several web machines: nothing on local disk, written in the changing transaction."""
