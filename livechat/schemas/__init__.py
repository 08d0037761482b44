"""marshmallow schemas: the only place JSON shapes live."""
