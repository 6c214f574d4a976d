from flask import Blueprint

bp = Blueprint("reactions", __name__)
