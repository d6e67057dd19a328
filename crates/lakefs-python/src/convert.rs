//! JSON values to Python objects and back: results are plain dicts and lists (an upload
//! session, its parts, an object's stats), JSON-able as they are.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyo3::IntoPyObjectExt as _;
use serde_json::{Map, Number, Value};

/// `value` as Python: dict, list, str, int, float, bool or None.
pub(crate) fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    match value {
        Value::Null => Ok(py.None().into_bound(py)),
        Value::Bool(flag) => flag.into_bound_py_any(py),
        Value::Number(number) => match (number.as_i64(), number.as_u64()) {
            (Some(int), _) => int.into_bound_py_any(py),
            (None, Some(int)) => int.into_bound_py_any(py),
            _ => number.as_f64().unwrap_or(f64::NAN).into_bound_py_any(py),
        },
        Value::String(text) => text.into_bound_py_any(py),
        Value::Array(items) => {
            let items = items
                .iter()
                .map(|item| to_py(py, item))
                .collect::<PyResult<Vec<_>>>()?;
            Ok(PyList::new(py, items)?.into_any())
        }
        Value::Object(entries) => {
            let dict = PyDict::new(py);
            for (key, value) in entries {
                dict.set_item(key, to_py(py, value)?)?;
            }
            Ok(dict.into_any())
        }
    }
}

/// A Python value made of dicts (with str keys), lists, tuples, str, int, float, bool and
/// None as JSON; `what` names the argument in the error for anything else.
pub(crate) fn from_py(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Value> {
    if value.is_none() {
        return Ok(Value::Null);
    }
    if value.is_instance_of::<PyBool>() {
        return Ok(Value::Bool(value.extract()?));
    }
    if value.is_instance_of::<PyInt>() {
        return match value.extract::<i64>() {
            Ok(int) => Ok(Value::from(int)),
            Err(_) => Ok(Value::from(value.extract::<u64>()?)),
        };
    }
    if value.is_instance_of::<PyFloat>() {
        let float: f64 = value.extract()?;
        return Number::from_f64(float).map(Value::Number).ok_or_else(|| {
            PyTypeError::new_err(format!("{what} holds {float}, which JSON cannot"))
        });
    }
    if value.is_instance_of::<PyString>() {
        return Ok(Value::String(value.extract()?));
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        let mut entries = Map::new();
        for (key, item) in dict.iter() {
            let key: String = key.extract().map_err(|_| {
                PyTypeError::new_err(format!("{what} has a key that is not a str: {key}"))
            })?;
            entries.insert(key, from_py(&item, what)?);
        }
        return Ok(Value::Object(entries));
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let items = value
            .try_iter()?
            .map(|item| from_py(&item?, what))
            .collect::<PyResult<Vec<_>>>()?;
        return Ok(Value::Array(items));
    }
    Err(PyTypeError::new_err(format!(
        "{what} holds a {}, where JSON values (dict, list, str, int, float, bool, None) were expected",
        value.get_type().name()?
    )))
}
