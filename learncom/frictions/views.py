from flask import Blueprint

bp = Blueprint("frictions", __name__)
