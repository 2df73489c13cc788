# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plain-text tables for reports that playbooks print."""

from __future__ import annotations


def align(header, rows):
    """Lines of a table with columns padded to their widest cell; the last column is not padded."""
    table = [tuple(str(cell) for cell in header)] + [tuple(str(cell) for cell in row) for row in rows]
    widths = [max(len(row[column]) for row in table) for column in range(len(header) - 1)]
    return ['  '.join(cell.ljust(width) for cell, width in zip(row, widths)) + '  ' + row[-1] for row in table]
