"""Maps the top-level code folders into the single ``accelsmith.*`` import namespace.

The package list is computed so that a new subpackage (a template, a plan, a backend) needs no edit here.
"""

from setuptools import find_packages, setup

FOLDERS = ["agents", "prompts", "hw_templates", "verification", "model_opt"]

package_dir = {"accelsmith": "accelsmith"}
packages = ["accelsmith"] + [f"accelsmith.{sub}" for sub in find_packages(where="accelsmith")]
for folder in FOLDERS:
    package_dir[f"accelsmith.{folder}"] = folder
    packages.append(f"accelsmith.{folder}")
    for sub in find_packages(where=folder):
        packages.append(f"accelsmith.{folder}.{sub}")
        package_dir[f"accelsmith.{folder}.{sub}"] = f"{folder}/{sub.replace('.', '/')}"

setup(package_dir=package_dir, packages=packages)
