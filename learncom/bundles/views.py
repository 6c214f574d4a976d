from flask import Blueprint

bp = Blueprint("bundles", __name__)
